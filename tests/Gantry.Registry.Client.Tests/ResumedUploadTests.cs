// Owns: pushes whose PATCH connection is cut, against real peers: gantry's registry resumes at its offset, distribution restarts.
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Gantry.Registry.Client.Credentials;
using Gantry.Registry.Server;
using Gantry.TestKit;
using ServerOptions = Gantry.Registry.Server.Configuration.RegistryOptions;

namespace Gantry.Registry.Client.Tests;

public sealed partial class ResumedUploadTests
{
    private const int LayerSize = 3_000_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Blobs over 1 MiB go by PATCH (so the cut lands in one), retries come quickly, one transfer at a time.</summary>
    private static RegistryOptions Patching => new()
    {
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxConcurrentTransfers = 1,
        MaxConcurrentUploads = 1,
        MonolithicUploadLimit = 1024 * 1024,
    };

    [GeneratedRegex(@"method=(?<method>\w+) path=(?<path>\S+) status=(?<status>\d+) bytes_in=(?<in>\d+)")]
    private static partial Regex AccessLine();

    [Fact]
    public async Task Gantry_registry_keeps_the_session_and_the_push_continues_from_its_offset()
    {
        using var dir = new TempDirectory();
        var log = new LineWriter();
        await using var server = await RegistryServer.StartAsync(new ServerOptions { Root = dir.FullPath, Address = "127.0.0.1:0", Fsync = false }, log, Ct);
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [LayerSize]);
        using var proxy = new FlakyProxy(server.Port, dropAfterBytes: 1_200_000, drops: 1, FlakyDirection.Upstream);
        using var client = new RegistryClient(proxy.Endpoint, StaticCredentialProvider.Anonymous, Patching, new Uri($"http://{proxy.Endpoint}"));

        var pushed = await new PushEngine(source, Patching).PushAsync(client, "resume/app", image.Manifest, "v1", null, Ct);
        Assert.Equal(image.Manifest.Digest, pushed.Digest);
        Assert.Equal(1, proxy.Drops);

        var lines = await log.WaitForAsync(l => l.Contains("method=PUT path=/v2/resume/app/manifests/v1", StringComparison.Ordinal), Ct);
        var requests = lines.Select(l => AccessLine().Match(l)).Where(m => m.Success).ToList();
        var patches = requests.Where(m => m.Groups["method"].Value == "PATCH").ToList();
        var completed = patches.Where(m => m.Groups["status"].Value == "202").ToList();
        var resumed = Assert.Single(completed);
        var resumedBytes = long.Parse(resumed.Groups["in"].Value, CultureInfo.InvariantCulture);

        // The bytes before the cut were not sent again: the one PATCH that completed carried only the rest of the layer,
        // and the server accepted the whole blob by digest at the closing PUT.
        Assert.True(patches.Count >= 2, string.Join('\n', lines));
        Assert.InRange(resumedBytes, 1, LayerSize - 1);
        Assert.Contains(requests, m => m.Groups["method"].Value == "GET" && m.Groups["path"].Value.Contains("/blobs/uploads/", StringComparison.Ordinal)
            && m.Groups["status"].Value == "204");
        // A restart would have sent the 1.2 MB before the cut plus the whole layer again.
        Assert.True(proxy.BytesUpstream < 1_200_000 + LayerSize, $"{proxy.BytesUpstream} bytes went upstream for a {LayerSize}-byte layer");

        using var direct = new RegistryClient(server.HostPort, StaticCredentialProvider.Anonymous);
        var target = new MemoryBlobStore();
        await new PullEngine(target).PullAsync([direct], "resume/app", "v1", null, null, Ct);
        Assert.Equal(source.Blobs[image.Layers[0].Digest], target.Blobs[image.Layers[0].Digest]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_stale_offset_after_a_cut_is_refused_and_the_push_resumes_where_the_registry_really_is(bool serverSettles)
    {
        // The registry is still reading the cut PATCH when the client asks for the offset. With settling, the status query
        // waits for it; without, it answers 0-…, the client's next PATCH names its range, gets 416 with the real offset
        // once the cut request lands, and resumes there; no byte is appended twice (the digest check at the PUT proves it).
        using var dir = new TempDirectory();
        var log = new LineWriter();
        var options = new ServerOptions
        {
            Root = dir.FullPath, Address = "127.0.0.1:0", Fsync = false,
            UploadStatusSettle = serverSettles ? TimeSpan.FromSeconds(5) : TimeSpan.Zero,
        };
        await using var server = await RegistryServer.StartAsync(options, log, Ct);
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [LayerSize]);
        using var proxy = new FlakyProxy(server.Port, dropAfterBytes: 1_200_000, drops: 1, FlakyDirection.Upstream) { HoldServerSideOnCut = TimeSpan.FromMilliseconds(800) };
        using var client = new RegistryClient(proxy.Endpoint, StaticCredentialProvider.Anonymous, Patching, new Uri($"http://{proxy.Endpoint}"));

        var pushed = await new PushEngine(source, Patching).PushAsync(client, "stale/app", image.Manifest, "v1", null, Ct);
        Assert.Equal(image.Manifest.Digest, pushed.Digest);
        Assert.Equal(1, proxy.Drops);
        Assert.True(proxy.BytesUpstream < 1_200_000 + LayerSize, $"{proxy.BytesUpstream} bytes went upstream for a {LayerSize}-byte layer");

        using var direct = new RegistryClient(server.HostPort, StaticCredentialProvider.Anonymous);
        var target = new MemoryBlobStore();
        await new PullEngine(target).PullAsync([direct], "stale/app", "v1", null, null, Ct);
        Assert.Equal(source.Blobs[image.Layers[0].Digest], target.Blobs[image.Layers[0].Digest]);
    }

    [Fact]
    public async Task Distribution_forgets_a_cut_upload_and_the_push_starts_a_fresh_one()
    {
        using var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [LayerSize]);
        using var proxy = new FlakyProxy(registry.Port, dropAfterBytes: 1_200_000, drops: 1, FlakyDirection.Upstream);
        using var client = new RegistryClient(proxy.Endpoint, StaticCredentialProvider.Anonymous, Patching, new Uri($"http://{proxy.Endpoint}"));

        var pushed = await new PushEngine(source, Patching).PushAsync(client, "restart/app", image.Manifest, "v1", null, Ct);
        Assert.Equal(image.Manifest.Digest, pushed.Digest);
        Assert.Equal(1, proxy.Drops);

        using var direct = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        var target = new MemoryBlobStore();
        await new PullEngine(target).PullAsync([direct], "restart/app", "v1", null, null, Ct);
        Assert.Equal(source.Blobs[image.Layers[0].Digest], target.Blobs[image.Layers[0].Digest]);

        // distribution cancelled the session of the cut PATCH: the status query was refused, a new upload was started
        // (POSTs for the config, the layer, and the layer again) and the whole layer went once more.
        var posts = Regex.Matches(registry.Log, "\"POST /v2/restart/app/blobs/uploads/ HTTP").Count;
        Assert.True(posts >= 3, registry.Log);
        Assert.True(proxy.BytesUpstream >= 1_200_000 + LayerSize, $"{proxy.BytesUpstream} bytes upstream");
    }

    /// <summary>Collects the server's access-log lines.</summary>
    private sealed class LineWriter : TextWriter
    {
        private readonly ConcurrentQueue<string> _lines = new();
        private readonly StringBuilder _partial = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_partial)
            {
                if (value == '\n')
                {
                    _lines.Enqueue(_partial.ToString());
                    _partial.Clear();
                }
                else if (value != '\r')
                {
                    _partial.Append(value);
                }
            }
        }

        public override void WriteLine(string? value) => _lines.Enqueue(value ?? string.Empty);

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override Task FlushAsync() => Task.CompletedTask;

        /// <summary>Waits (up to 30 s) for a line matching <paramref name="done"/>; returns every line so far.</summary>
        public async Task<IReadOnlyList<string>> WaitForAsync(Func<string, bool> done, CancellationToken cancellationToken)
        {
            for (var i = 0; i < 300 && !_lines.Any(done); i++)
            {
                await Task.Delay(100, cancellationToken);
            }

            return _lines.ToArray();
        }
    }
}
