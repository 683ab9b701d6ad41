// Owns: a static-file HTTP server on loopback for ADD URL and dumb-HTTP git tests (Last-Modified headers, request counts).
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Gantry.Build.Tests.Steps;

/// <summary>Serves the files under <see cref="Root"/> at http://127.0.0.1:PORT/ with their mtime as Last-Modified.</summary>
internal sealed class LoopbackFileServer : IDisposable
{
    private readonly HttpListener _listener = new();

    public LoopbackFileServer(string root)
    {
        Root = root;
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            try
            {
                _listener.Prefixes.Clear();
                _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }

        _ = ServeAsync();
    }

    public string Root { get; }

    public int Port { get; }

    public string Url(string path) => $"http://127.0.0.1:{Port}/{path.TrimStart('/')}";

    /// <summary>Paths requested (without the leading slash), in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    var rel = Uri.UnescapeDataString(ctx.Request.Url!.AbsolutePath).TrimStart('/');
                    Requests.Enqueue(rel);
                    var path = Path.GetFullPath(Path.Combine(Root, rel));
                    if (!path.StartsWith(Path.GetFullPath(Root), StringComparison.Ordinal) || !File.Exists(path))
                    {
                        ctx.Response.StatusCode = 404;
                        ctx.Response.Close();
                        return;
                    }

                    ctx.Response.Headers["Last-Modified"] = File.GetLastWriteTimeUtc(path).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                    var bytes = await File.ReadAllBytesAsync(path);
                    ctx.Response.ContentLength64 = bytes.Length;
                    await ctx.Response.OutputStream.WriteAsync(bytes);
                    ctx.Response.Close();
                }
                catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
                {
                }
            });
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
