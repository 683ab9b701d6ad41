// Owns: the client side of the monitor's attach socket (`gantry attach`, `start -a`): output out, stdin in, detach keys, resizes.
using System.Net.Sockets;
using Gantry.Oci;

namespace Gantry.Runtime.Monitor;

/// <summary>How an attach ended: the container's exit code, a detach by the detach keys, or the monitor going away.</summary>
public sealed record AttachResult(int? ExitCode, bool Detached);

/// <summary>A connection to a container monitor's attach socket.</summary>
public sealed class AttachClient : IDisposable
{
    /// <summary>docker's default detach keys, Ctrl-P Ctrl-Q.</summary>
    public const string DefaultDetachKeys = "ctrl-p,ctrl-q";

    private readonly Socket socket;
    private readonly NetworkStream stream;
    private readonly Lock sendGate = new();

    private AttachClient(Socket socket)
    {
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <summary>Connects to the attach socket at <paramref name="socketPath"/>; throws when the monitor is not listening.</summary>
    public static AttachClient Connect(string socketPath)
    {
        try
        {
            return new AttachClient(AttachProtocol.Connect(socketPath));
        }
        catch (SocketException ex)
        {
            throw new GantryException($"cannot attach: the container's monitor is not listening on {socketPath} ({ex.Message}); is the container running?");
        }
    }

    /// <summary>Tells the monitor the client's terminal size (applied to the container's pty).</summary>
    public void SendResize(ushort rows, ushort cols) => Send(AttachProtocol.ResizeFrame(rows, cols));

    /// <summary>
    /// Copies the container's output to <paramref name="stdout"/>/<paramref name="stderr"/> and, when given, <paramref name="stdin"/>
    /// to the container, until the container exits (its exit code), the detach keys are typed (Detached) or the monitor goes away
    /// (no exit code). At the end of <paramref name="stdin"/> the monitor is told (it closes the container's stdin when the
    /// container was created with StdinOnce) and output keeps flowing.
    /// </summary>
    public async Task<AttachResult> RunAsync(Stream? stdin, Stream stdout, Stream stderr, byte[] detachKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(detachKeys);
        var detached = new TaskCompletionSource<AttachResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = Task.Run(() => ReadOutputAsync(stdout, stderr, cancellationToken), CancellationToken.None);
        if (stdin is not null)
        {
            _ = Task.Run(() => PumpInputAsync(stdin, detachKeys, detached, cancellationToken), CancellationToken.None);
        }

        var done = await Task.WhenAny(output, detached.Task).ConfigureAwait(false);
        return await done.ConfigureAwait(false);
    }

    private async Task<AttachResult> ReadOutputAsync(Stream stdout, Stream stderr, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var frame = await AttachProtocol.ReadFrameAsync(stream, cancellationToken).ConfigureAwait(false);
                if (frame is null)
                {
                    return new AttachResult(null, false);
                }

                var (type, payload) = frame.Value;
                switch (type)
                {
                    case AttachProtocol.Stdout:
                        await stdout.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
                        await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    case AttachProtocol.Stderr:
                        await stderr.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
                        await stderr.FlushAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    case AttachProtocol.Exit when payload.Length == 4:
                        return new AttachResult(System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(payload), false);
                    default:
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            return new AttachResult(null, false);
        }
    }

    private async Task PumpInputAsync(Stream stdin, byte[] detachKeys, TaskCompletionSource<AttachResult> detached, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var pending = new List<byte>();
        var matched = 0;
        try
        {
            while (true)
            {
                var n = await stdin.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    if (pending.Count > 0)
                    {
                        Send(AttachProtocol.Frame(AttachProtocol.Stdin, pending.ToArray()));
                    }

                    Send(AttachProtocol.Frame(AttachProtocol.StdinEof, []));
                    return;
                }

                var chunk = new List<byte>(n);
                for (var i = 0; i < n; i++)
                {
                    var b = buffer[i];
                    if (detachKeys.Length > 0 && b == detachKeys[matched])
                    {
                        pending.Add(b);
                        matched++;
                        if (matched == detachKeys.Length)
                        {
                            if (chunk.Count > 0)
                            {
                                Send(AttachProtocol.Frame(AttachProtocol.Stdin, chunk.ToArray()));
                            }

                            detached.TrySetResult(new AttachResult(null, true));
                            return;
                        }

                        continue;
                    }

                    chunk.AddRange(pending);
                    pending.Clear();
                    matched = 0;
                    if (detachKeys.Length > 0 && b == detachKeys[0])
                    {
                        pending.Add(b);
                        matched = 1;
                        continue;
                    }

                    chunk.Add(b);
                }

                if (chunk.Count > 0)
                {
                    Send(AttachProtocol.Frame(AttachProtocol.Stdin, chunk.ToArray()));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private void Send(byte[] frame)
    {
        lock (sendGate)
        {
            socket.Send(frame);
        }
    }

    /// <summary>Parses docker's --detach-keys ("ctrl-p,ctrl-q", "ctrl-a,x"); empty means the default.</summary>
    public static byte[] ParseDetachKeys(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            text = DefaultDetachKeys;
        }

        var keys = new List<byte>();
        foreach (var part in text.Split(','))
        {
            var p = part.Trim();
            if (p.Length == 1 && p[0] < 128)
            {
                keys.Add((byte)p[0]);
            }
            else if (p.StartsWith("ctrl-", StringComparison.OrdinalIgnoreCase) && p.Length == 6)
            {
                var c = char.ToLowerInvariant(p[5]);
                keys.Add(c switch
                {
                    >= 'a' and <= 'z' => (byte)(c - 'a' + 1),
                    '@' => 0,
                    '[' => 27,
                    '\\' => 28,
                    ']' => 29,
                    '^' => 30,
                    '_' => 31,
                    _ => throw new GantryException($"Invalid detach keys ({text}) provided: use a comma-separated list of single characters or ctrl-<a-z, @, [, \\, ], ^, _>, e.g. ctrl-p,ctrl-q"),
                });
            }
            else
            {
                throw new GantryException($"Invalid detach keys ({text}) provided: use a comma-separated list of single characters or ctrl-<a-z, @, [, \\, ], ^, _>, e.g. ctrl-p,ctrl-q");
            }
        }

        return [.. keys];
    }

    public void Dispose()
    {
        stream.Dispose();
        socket.Dispose();
    }
}
