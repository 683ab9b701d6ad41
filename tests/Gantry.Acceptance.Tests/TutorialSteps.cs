// Owns: small steps the tutorial tests repeat: running gantry with assertions, image inspect fields, free ports, mounts, polling.
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gantry.TestKit;

namespace Gantry.Acceptance.Tests;

public static class TutorialSteps
{
    public static TimeSpan BuildTimeout { get; } = TimeSpan.FromMinutes(15);

    /// <summary>Runs gantry and asserts exit 0.</summary>
    public static async Task<ProcessResult> OkAsync(this GantryCli cli, string? workingDirectory, params string[] args)
    {
        var r = await cli.RunAsync(args, workingDirectory, timeout: BuildTimeout, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(r.ExitCode == 0, $"gantry {string.Join(' ', args)} failed: {r}");
        return r;
    }

    public static Task<ProcessResult> TryAsync(this GantryCli cli, string? workingDirectory, params string[] args) =>
        cli.RunAsync(args, workingDirectory, timeout: BuildTimeout, cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>The image's ID ("sha256:…") and its layer diff IDs, from `gantry image inspect`.</summary>
    public static async Task<(string Id, string[] Layers)> InspectAsync(this GantryCli cli, string image)
    {
        var r = await cli.OkAsync(null, "image", "inspect", image);
        using var doc = JsonDocument.Parse(r.StdOut);
        var first = doc.RootElement[0];
        var id = first.GetProperty("Id").GetString()!;
        var layers = first.GetProperty("RootFS").GetProperty("Layers").EnumerateArray().Select(l => l.GetString()!).ToArray();
        return (id, layers);
    }

    /// <summary>A TCP port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static bool PortIsFree(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Any, port);
            l.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Mount points at or below <paramref name="dir"/> (none should remain once containers are removed).</summary>
    public static IReadOnlyList<string> MountsUnder(string dir)
    {
        var full = Path.GetFullPath(dir).TrimEnd('/');
        return File.ReadAllLines("/proc/mounts")
            .Select(l => l.Split(' ')[1].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(m => m == full || m.StartsWith(full + "/", StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>Polls <paramref name="probe"/> every half second until it returns non-null or the time is up.</summary>
    public static async Task<T?> PollAsync<T>(Func<Task<T?>> probe, TimeSpan limit)
        where T : class
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var value = await probe();
            if (value is not null || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
    }
}
