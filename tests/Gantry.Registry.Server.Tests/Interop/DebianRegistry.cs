// Owns: running Debian's docker-registry (distribution 2.8) on a free loopback port for cross-checks and as a mirror upstream.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gantry.TestKit;

namespace Gantry.Registry.Server.Tests.Interop;

/// <summary>A real distribution registry in a temp dir; skips the test when docker-registry is not installed.</summary>
public sealed class DebianRegistry : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TempDirectory _dir;

    private DebianRegistry(Process process, TempDirectory dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public string HostPort => $"127.0.0.1:{Port}";

    public static async Task<DebianRegistry> StartAsync(CancellationToken ct)
    {
        var exe = File.Exists("/usr/bin/docker-registry") ? "/usr/bin/docker-registry" : Requires.Command("docker-registry");
        var dir = new TempDirectory("gantry-distribution");
        var port = FreePort();
        var config = dir.WriteFile("config.yml", $"""
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {dir.Combine("data")}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}
            """);
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(config);
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var registry = new DebianRegistry(process, dir, port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var resp = await http.GetAsync(new Uri(registry.BaseAddress, "v2/"), ct);
                if (resp.StatusCode == HttpStatusCode.OK)
                {
                    return registry;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (process.HasExited)
            {
                break;
            }

            await Task.Delay(50, ct);
        }

        await registry.DisposeAsync();
        throw new InvalidOperationException("docker-registry did not start");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _dir.Dispose();
    }
}
