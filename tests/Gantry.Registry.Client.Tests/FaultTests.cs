// Owns: pulls and pushes through a proxy that cuts connections mid-blob: both finish, resuming instead of starting over.
using Gantry.Registry.Client.Credentials;
using Gantry.Registry.Client.Transfer;
using Gantry.TestKit;

namespace Gantry.Registry.Client.Tests;

public sealed class FaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RegistryOptions Fast => new() { RetryDelay = TimeSpan.FromMilliseconds(20), MaxConcurrentTransfers = 1, MaxConcurrentUploads = 1 };

    [Fact]
    public async Task Pull_resumes_a_cut_download_with_a_range_request()
    {
        using var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [1_500_000, 20_000]);
        using (var direct = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous))
        {
            await new PushEngine(source).PushAsync(direct, "fault/pull", image.Manifest, "v1", null, Ct);
        }

        using var proxy = new FlakyProxy(registry.Port, dropAfterBytes: 600_000, drops: 2, FlakyDirection.Downstream);
        using var client = new RegistryClient(proxy.Endpoint, StaticCredentialProvider.Anonymous, Fast, new Uri($"http://{proxy.Endpoint}"));
        var events = new List<TransferEvent>();
        var progress = new SyncProgress(events);
        var target = new MemoryBlobStore();
        var pulled = await new PullEngine(target, Fast).PullAsync([client], "fault/pull", "v1", null, progress, Ct);
        Assert.Equal(image.Config.Digest, pulled.ImageId);
        Assert.Equal(2, proxy.Drops);
        Assert.Contains(events, e => e.State == TransferState.Retrying);
        Assert.Equal(source.Blobs[image.Layers[0].Digest], target.Blobs[image.Layers[0].Digest]);
        // Resumed, not restarted: far less than twice the layer crossed the proxy.
        Assert.True(proxy.BytesDownstream < 1_500_000 + 200_000, $"{proxy.BytesDownstream} bytes downstream");
    }

    [Fact]
    public async Task Push_survives_a_cut_upload_without_resending_finished_layers()
    {
        using var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [30_000, 1_200_000]);
        using var proxy = new FlakyProxy(registry.Port, dropAfterBytes: 400_000, drops: 1, FlakyDirection.Upstream);
        using var client = new RegistryClient(proxy.Endpoint, StaticCredentialProvider.Anonymous, Fast, new Uri($"http://{proxy.Endpoint}"));
        var events = new List<TransferEvent>();
        var pushed = await new PushEngine(source, Fast).PushAsync(client, "fault/push", image.Manifest, "v1", new SyncProgress(events), Ct);
        Assert.Equal(image.Manifest.Digest, pushed.Digest);
        Assert.Equal(1, proxy.Drops);

        // A second push after another cut sends nothing again: every layer already exists.
        proxy.Arm(1);
        var before = proxy.BytesUpstream;
        var again = await new PushEngine(source, Fast).PushAsync(client, "fault/push", image.Manifest, "v1", null, Ct);
        Assert.Equal(2, again.LayersSkipped);
        Assert.True(proxy.BytesUpstream - before < 50_000, $"{proxy.BytesUpstream - before} bytes re-sent");

        using var direct = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        var pulled = await new PullEngine(new MemoryBlobStore()).PullAsync([direct], "fault/push", "v1", null, null, Ct);
        Assert.Equal(image.Config.Digest, pulled.ImageId);
    }

    private sealed class SyncProgress(List<TransferEvent> events) : IProgress<TransferEvent>
    {
        public void Report(TransferEvent value)
        {
            lock (events)
            {
                events.Add(value);
            }
        }
    }
}
