// Owns: a loopback TCP proxy that cuts connections after a number of bytes, for fault tests of pulls and pushes.
using System.Net;
using System.Net.Sockets;

namespace Gantry.TestKit;

/// <summary>Which bytes count towards <see cref="FlakyProxy"/>'s drop threshold.</summary>
public enum FlakyDirection
{
    /// <summary>Server to client (downloads: pulls).</summary>
    Downstream,

    /// <summary>Client to server (uploads: pushes).</summary>
    Upstream,
}

/// <summary>
/// Listens on 127.0.0.1:<see cref="Port"/> and forwards to 127.0.0.1:targetPort. Counts bytes in one direction over all
/// connections; when the count since the last drop reaches <c>dropAfterBytes</c>, the connection carrying that byte is
/// closed right after it (both ways) — at most <c>drops</c> times, after which everything passes. Use <see cref="Endpoint"/> as the registry.
/// </summary>
public sealed class FlakyProxy : IDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly long _dropAfter;
    private readonly FlakyDirection _direction;
    private readonly CancellationTokenSource _cts = new();
    private readonly Lock _lock = new();
    private long _counted;
    private int _remainingDrops;
    private int _dropsDone;
    private long _upstream;
    private long _downstream;

    public FlakyProxy(int targetPort, long dropAfterBytes, int drops = 1, FlakyDirection direction = FlakyDirection.Downstream)
    {
        _targetPort = targetPort;
        _dropAfter = dropAfterBytes;
        _remainingDrops = drops;
        _direction = direction;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    public int Port { get; }

    /// <summary>"127.0.0.1:PORT", usable as a registry name.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>
    /// On a cut of an upstream connection, how long the server's side is held open (silent) after the client's side
    /// closed: a server still reading the cut request meanwhile, as across a real network.
    /// </summary>
    public TimeSpan HoldServerSideOnCut { get; set; }

    /// <summary>How many connections were cut so far.</summary>
    public int Drops => Volatile.Read(ref _dropsDone);

    public long BytesUpstream => Interlocked.Read(ref _upstream);

    public long BytesDownstream => Interlocked.Read(ref _downstream);

    /// <summary>Allows <paramref name="drops"/> more cuts, each after <c>dropAfterBytes</c> more bytes.</summary>
    public void Arm(int drops)
    {
        lock (_lock)
        {
            _remainingDrops = drops;
            _counted = 0;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = HandleAsync(client);
        }
    }

    private async Task HandleAsync(Socket client)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using (client)
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                return;
            }

            using var pair = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token);
            var up = PumpAsync(client, server, FlakyDirection.Upstream, pair);
            var down = PumpAsync(server, client, FlakyDirection.Downstream, pair);
            await Task.WhenAny(up, down).ConfigureAwait(false);
            await pair.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(up, down).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to, FlakyDirection direction, CancellationTokenSource pair)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, pair.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                var forward = n;
                var cut = false;
                if (direction == _direction)
                {
                    lock (_lock)
                    {
                        if (_remainingDrops > 0 && _counted + n >= _dropAfter)
                        {
                            forward = (int)Math.Max(0, _dropAfter - _counted);
                            cut = true;
                            _remainingDrops--;
                            _counted = 0;
                            _dropsDone++;
                        }
                        else
                        {
                            _counted += n;
                        }
                    }
                }

                if (forward > 0)
                {
                    await to.SendAsync(buffer.AsMemory(0, forward), SocketFlags.None, pair.Token).ConfigureAwait(false);
                    Interlocked.Add(ref direction == FlakyDirection.Upstream ? ref _upstream : ref _downstream, forward);
                }

                if (cut)
                {
                    // Close gracefully so the peer sees exactly the bytes forwarded, then an early end of stream.
                    if (direction == FlakyDirection.Upstream && HoldServerSideOnCut > TimeSpan.Zero)
                    {
                        Close(from);
                        await Task.Delay(HoldServerSideOnCut, _cts.Token).ConfigureAwait(false);
                        Close(to);
                        return;
                    }

                    Close(to);
                    Close(from);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Reset(to);
        }
    }

    private static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        socket.Close();
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _cts.Cancel();
        _listener.Stop();
        _listener.Dispose();
        _cts.Dispose();
    }
}
