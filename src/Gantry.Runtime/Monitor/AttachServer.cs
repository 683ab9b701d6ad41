// Owns: the monitor's side of `gantry attach`: a unix socket that streams the container's output and takes stdin and resizes.
using System.Net.Sockets;

namespace Gantry.Runtime.Monitor;

/// <summary>Accepts attach clients, broadcasts output frames to them and hands their stdin/resize frames to the monitor.</summary>
internal sealed class AttachServer : IDisposable
{
    private readonly Socket listener;
    private readonly string path;
    private readonly List<Socket> clients = [];
    private readonly Lock gate = new();
    private readonly TaskCompletionSource firstClient = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stopping = new();

    private AttachServer(Socket listener, string path)
    {
        this.listener = listener;
        this.path = path;
    }

    private readonly Queue<byte[]> pendingStdin = new();
    private readonly Lock stdinGate = new();
    private Action<byte[]>? onStdin;
    private Action? onStdinEof;
    private bool pendingEof;

    /// <summary>A client's terminal size (rows, cols).</summary>
    public Action<ushort, ushort>? OnResize { get; set; }

    /// <summary>
    /// Routes clients' stdin bytes and stdin end to the running container; null handlers park them (in order) until the next
    /// call, so input typed before the container's stdin is ready is not lost.
    /// </summary>
    public void SetStdin(Action<byte[]>? data, Action? end)
    {
        lock (stdinGate)
        {
            onStdin = data;
            onStdinEof = end;
            if (data is null)
            {
                return;
            }

            while (pendingStdin.TryDequeue(out var d))
            {
                data(d);
            }

            if (pendingEof)
            {
                pendingEof = false;
                end?.Invoke();
            }
        }
    }

    public static AttachServer Start(string path)
    {
        var server = new AttachServer(AttachProtocol.Listen(path), path);
        _ = Task.Run(server.AcceptLoopAsync);
        return server;
    }

    /// <summary>Waits until a first client connected, or the timeout passed.</summary>
    public async Task WaitForClientAsync(TimeSpan timeout)
    {
        await Task.WhenAny(firstClient.Task, Task.Delay(timeout)).ConfigureAwait(false);
    }

    /// <summary>Sends a frame to every client; a client that cannot take it within a few seconds is dropped.</summary>
    public void Broadcast(byte[] frame)
    {
        Socket[] targets;
        lock (gate)
        {
            targets = [.. clients];
        }

        foreach (var c in targets)
        {
            try
            {
                lock (c)
                {
                    c.Send(frame);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Drop(c);
            }
        }
    }

    /// <summary>Sends the exit code to every client and closes them (they are done: the container stopped).</summary>
    public void SendExit(int code)
    {
        Broadcast(AttachProtocol.ExitFrame(code));
        Socket[] targets;
        lock (gate)
        {
            targets = [.. clients];
            clients.Clear();
        }

        foreach (var c in targets)
        {
            Close(c);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            client.SendTimeout = 5000;
            lock (gate)
            {
                clients.Add(client);
            }

            firstClient.TrySetResult();
            _ = Task.Run(() => ReadLoopAsync(client));
        }
    }

    private async Task ReadLoopAsync(Socket client)
    {
        using var stream = new NetworkStream(client, ownsSocket: false);
        try
        {
            while (true)
            {
                var frame = await AttachProtocol.ReadFrameAsync(stream, stopping.Token).ConfigureAwait(false);
                if (frame is null)
                {
                    break;
                }

                var (type, payload) = frame.Value;
                switch (type)
                {
                    case AttachProtocol.Stdin:
                        lock (stdinGate)
                        {
                            if (onStdin is null)
                            {
                                pendingStdin.Enqueue(payload);
                            }
                            else
                            {
                                onStdin(payload);
                            }
                        }

                        break;
                    case AttachProtocol.StdinEof:
                        lock (stdinGate)
                        {
                            if (onStdin is null)
                            {
                                pendingEof = true;
                            }
                            else
                            {
                                onStdinEof?.Invoke();
                            }
                        }

                        break;
                    case AttachProtocol.Resize when payload.Length == 4:
                        OnResize?.Invoke((ushort)((payload[0] << 8) | payload[1]), (ushort)((payload[2] << 8) | payload[3]));
                        break;
                    default:
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        Drop(client);
    }

    private void Drop(Socket client)
    {
        lock (gate)
        {
            clients.Remove(client);
        }

        Close(client);
    }

    private static void Close(Socket client)
    {
        try
        {
            client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        client.Dispose();
    }

    public void Dispose()
    {
        stopping.Cancel();
        listener.Dispose();
        lock (gate)
        {
            foreach (var c in clients)
            {
                Close(c);
            }

            clients.Clear();
        }

        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }

        stopping.Dispose();
    }
}
