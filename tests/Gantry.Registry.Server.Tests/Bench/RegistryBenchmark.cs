// Owns: the registry benchmark: blob upload/download throughput and manifest requests/s at 1, 8 and 64 clients, Gantry vs docker-registry.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Gantry.Oci;
using Gantry.Registry.Server.Tests.Interop;
using Gantry.TestKit;

namespace Gantry.Registry.Server.Tests.Bench;

/// <summary>
/// Opt-in (GANTRY_BENCH=1): starts `gantry registry serve` (GANTRY_BIN may point at the Native AOT build) and Debian's
/// docker-registry side by side, drives both with the same workload, and prints a table with peak RSS of each server.
/// Results also go to $GANTRY_BENCH_OUT (default /tmp/gantry-registry-bench.md).
/// </summary>
public sealed class RegistryBenchmark
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const int BlobSize = 1024 * 1024;
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("GANTRY_BENCH_SECONDS") ?? "3", CultureInfo.InvariantCulture));

    private sealed record Row(string Server, int Clients, double UploadMBs, double DownloadMBs, double ManifestRps);

    [Fact]
    public async Task Gantry_versus_docker_registry()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("GANTRY_BENCH") == "1", "benchmark: set GANTRY_BENCH=1 to run it (takes about a minute)");
        using var dir = new TempDirectory("gantry-bench");
        using var distribution = DistributionRegistry.StartPlain();
        await using var gantry = await ServeProcess.StartAsync(["--addr", "127.0.0.1:0", "--root", dir.Combine("reg"), "--gc-interval", "0"], Ct);
        var gantryPid = FindPid(gantry.BaseAddress.Port);
        var distributionPid = FindPid(distribution.Port);
        var rows = new List<Row>();
        foreach (var clients in new[] { 1, 8, 64 })
        {
            rows.Add(await RunAsync("gantry", gantry.BaseAddress, clients));
            rows.Add(await RunAsync("docker-registry", distribution.BaseUri, clients));
        }

        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Registry benchmark ({Environment.ProcessorCount} cores, {BlobSize / 1024} KiB blobs, {Phase.TotalSeconds}s per phase)");
        sb.AppendLine();
        sb.AppendLine("| server | clients | blob upload MB/s | blob download MB/s | manifest GET req/s |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var r in rows)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Server} | {r.Clients} | {r.UploadMBs:0.0} | {r.DownloadMBs:0.0} | {r.ManifestRps:0} |");
        }

        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"peak RSS: gantry {PeakRssMb(gantryPid):0.0} MB, docker-registry {PeakRssMb(distributionPid):0.0} MB");
        var text = sb.ToString();
        TestContext.Current.TestOutputHelper?.WriteLine(text);
        await File.WriteAllTextAsync(Environment.GetEnvironmentVariable("GANTRY_BENCH_OUT") ?? "/tmp/gantry-registry-bench.md", text, Ct);
    }

    private static async Task<Row> RunAsync(string name, Uri baseAddress, int clients)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256, UseProxy = false };
        using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        var repo = $"bench/c{clients}";
        var payload = TestRegistry.RandomBytes(BlobSize);

        // Upload: each client pushes distinct 1 MiB blobs (POST + PUT) until time is up.
        long uploaded = 0;
        var digests = new System.Collections.Concurrent.ConcurrentBag<Digest>();
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var buf = (byte[])payload.Clone();
            var n = 0;
            while (sw.Elapsed < Phase)
            {
                BitConverter.TryWriteBytes(buf.AsSpan(0, 8), ((long)c << 32) | (uint)n++);
                BitConverter.TryWriteBytes(buf.AsSpan(8, 8), Environment.TickCount64 ^ clients);
                var digest = Digest.Compute(buf);
                using var post = await http.PostAsync($"/v2/{repo}/blobs/uploads/", null, Ct);
                var loc = post.Headers.Location!;
                loc = loc.IsAbsoluteUri ? loc : new Uri(baseAddress, loc);
                using var put = await http.PutAsync(TestRegistry.WithQuery(loc, $"digest={digest}"), new ByteArrayContent(buf), Ct);
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                Interlocked.Add(ref uploaded, buf.Length);
                digests.Add(digest);
            }
        }));
        var uploadMBs = uploaded / 1e6 / sw.Elapsed.TotalSeconds;

        // A manifest over the first pushed blob.
        var config = "{}"u8.ToArray();
        var cDigest = Digest.Compute(config);
        using (var post = await http.PostAsync($"/v2/{repo}/blobs/uploads/", null, Ct))
        {
            var loc = post.Headers.Location!.IsAbsoluteUri ? post.Headers.Location : new Uri(baseAddress, post.Headers.Location!);
            using var put = await http.PutAsync(TestRegistry.WithQuery(loc, $"digest={cDigest}"), new ByteArrayContent(config), Ct);
        }

        var blobs = digests.ToArray();
        var manifest = TestRegistry.ImageManifest(cDigest, config.Length, [(blobs[0], BlobSize)]);
        using (var req = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repo}/manifests/latest") { Content = new ByteArrayContent(manifest) })
        {
            req.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(MediaTypes.OciManifest);
            using var resp = await http.SendAsync(req, Ct);
            Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        }

        // Download: each client GETs blobs round-robin.
        long downloaded = 0;
        sw.Restart();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var buffer = new byte[128 * 1024];
            var i = c;
            while (sw.Elapsed < Phase)
            {
                using var resp = await http.GetAsync($"/v2/{repo}/blobs/{blobs[i++ % blobs.Length]}", HttpCompletionOption.ResponseHeadersRead, Ct);
                await using var s = await resp.Content.ReadAsStreamAsync(Ct);
                int n;
                while ((n = await s.ReadAsync(buffer, Ct)) > 0)
                {
                    Interlocked.Add(ref downloaded, n);
                }
            }
        }));
        var downloadMBs = downloaded / 1e6 / sw.Elapsed.TotalSeconds;

        // Manifest GETs by tag.
        long requests = 0;
        sw.Restart();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (sw.Elapsed < Phase)
            {
                using var req = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repo}/manifests/latest");
                req.Headers.Accept.ParseAdd(MediaTypes.OciManifest);
                using var resp = await http.SendAsync(req, Ct);
                await resp.Content.ReadAsByteArrayAsync(Ct);
                Interlocked.Increment(ref requests);
            }
        }));
        var rps = requests / sw.Elapsed.TotalSeconds;
        return new Row(name, clients, uploadMBs, downloadMBs, rps);
    }

    /// <summary>The pid listening on a loopback TCP port (from /proc/net/tcp and the fds of each process).</summary>
    private static int FindPid(int port)
    {
        var hexPort = port.ToString("X4", CultureInfo.InvariantCulture);
        var inode = File.ReadAllLines("/proc/net/tcp").Concat(File.ReadAllLines("/proc/net/tcp6")).Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 9 && f[1].EndsWith(":" + hexPort, StringComparison.Ordinal) && f[3] == "0A")
            .Select(f => f[9]).FirstOrDefault();
        if (inode is null)
        {
            return -1;
        }

        foreach (var proc in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                foreach (var fd in Directory.GetFiles(Path.Combine(proc, "fd")))
                {
                    if (new FileInfo(fd).LinkTarget == $"socket:[{inode}]")
                    {
                        return int.Parse(Path.GetFileName(proc), CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        return -1;
    }

    private static double PeakRssMb(int pid)
    {
        if (pid <= 0 || !File.Exists($"/proc/{pid}/status"))
        {
            return double.NaN;
        }

        var line = File.ReadAllLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }
}
