// Owns: publishing container ports on the host in user space (like docker-proxy): listeners bound before the container starts.
using System.Net;
using System.Net.Sockets;
using Gantry.Oci;

namespace Gantry.Runtime.Network;

/// <summary>Forwards host TCP/UDP ports to a container address. Bind first (fails clearly when a port is taken), then <see cref="Start"/>.</summary>
public sealed class PortForwarder : IAsyncDisposable
{
    private readonly List<(PortMapping Map, Socket Socket)> listeners = [];
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> loops = [];

    private PortForwarder()
    {
    }

    /// <summary>The mappings with their host ports (random ones filled in).</summary>
    public IReadOnlyList<PortMapping> Bound => listeners.Select(l => l.Map).ToList();

    /// <summary>Binds every host port now; throws a clear error (and binds nothing) when one is in use.</summary>
    public static PortForwarder Bind(IReadOnlyList<PortMapping> ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        var f = new PortForwarder();
        try
        {
            foreach (var p in ports)
            {
                var ip = p.HostIp.Length == 0 ? IPAddress.Any : IPAddress.Parse(p.HostIp);
                var socket = p.Protocol == "udp"
                    ? new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
                    : new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(ip, p.HostPort));
                    if (p.Protocol != "udp")
                    {
                        socket.Listen(128);
                    }
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    throw new GantryException(
                        $"cannot publish port {p.HostPort}/{p.Protocol} on {ip}: {(ex.SocketErrorCode == SocketError.AddressAlreadyInUse ? "the port is already in use" : ex.Message)}; choose another host port with -p HOST:{p.ContainerPort}") { ExitCode = 125 };
                }

                var actual = ((IPEndPoint)socket.LocalEndPoint!).Port;
                f.listeners.Add((p with { HostPort = actual }, socket));
            }
        }
        catch
        {
            f.CloseListeners();
            throw;
        }

        return f;
    }

    /// <summary>Starts forwarding to <paramref name="containerIp"/>.</summary>
    public void Start(string containerIp)
    {
        var target = IPAddress.Parse(containerIp);
        foreach (var (map, socket) in listeners)
        {
            loops.Add(map.Protocol == "udp"
                ? Task.Run(() => UdpLoopAsync(socket, new IPEndPoint(target, map.ContainerPort), stop.Token))
                : Task.Run(() => TcpLoopAsync(socket, new IPEndPoint(target, map.ContainerPort), stop.Token)));
        }
    }

    private static async Task TcpLoopAsync(Socket listener, IPEndPoint target, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => PipeAsync(client, target, cancellationToken), CancellationToken.None);
        }
    }

    private static async Task PipeAsync(Socket client, IPEndPoint target, CancellationToken cancellationToken)
    {
        using var c = client;
        using var upstream = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await upstream.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            using var a = new NetworkStream(c, ownsSocket: false);
            using var b = new NetworkStream(upstream, ownsSocket: false);
            var up = CopyThenShutdownAsync(a, upstream, b, cancellationToken);
            var down = CopyThenShutdownAsync(b, c, a, cancellationToken);
            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }

    private static async Task CopyThenShutdownAsync(Stream from, Socket toSocket, Stream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                toSocket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private static async Task UdpLoopAsync(Socket listener, IPEndPoint target, CancellationToken cancellationToken)
    {
        var peers = new Dictionary<EndPoint, Socket>();
        var buffer = new byte[65536];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var r = await listener.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken).ConfigureAwait(false);
                if (!peers.TryGetValue(r.RemoteEndPoint, out var upstream))
                {
                    upstream = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                    upstream.Connect(target);
                    peers[r.RemoteEndPoint] = upstream;
                    var client = r.RemoteEndPoint;
                    _ = Task.Run(async () =>
                    {
                        var back = new byte[65536];
                        try
                        {
                            while (!cancellationToken.IsCancellationRequested)
                            {
                                var n = await upstream.ReceiveAsync(back, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                                await listener.SendToAsync(back.AsMemory(0, n), SocketFlags.None, client, cancellationToken).ConfigureAwait(false);
                            }
                        }
                        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                        {
                        }
                    }, CancellationToken.None);
                }

                await upstream.SendAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            foreach (var s in peers.Values)
            {
                s.Dispose();
            }
        }
    }

    private void CloseListeners()
    {
        foreach (var (_, s) in listeners)
        {
            s.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        CloseListeners();
        try
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
    }
}
