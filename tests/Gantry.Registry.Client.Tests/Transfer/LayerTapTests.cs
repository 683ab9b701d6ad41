// Owns: the pull's layer tap: consumers see each downloaded layer's exact bytes, may stop early, and their failure fails the pull.
using Gantry.Oci;
using Gantry.Registry.Client.Credentials;
using Gantry.Registry.Client.Transfer;
using Gantry.TestKit;

namespace Gantry.Registry.Client.Tests.Transfer;

public sealed class LayerTapTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Tap(Func<Stream, CancellationToken, Task>? consumer = null) : ILayerTap
    {
        public System.Collections.Concurrent.ConcurrentDictionary<Digest, (int Index, Digest DiffId, byte[] Bytes)> Seen { get; } = new();

        public Func<Stream, CancellationToken, Task>? Open(ImageConfig config, Descriptor layer, int index) =>
            consumer ?? (async (stream, ct) =>
            {
                using var ms = new MemoryStream();
                await stream.CopyToAsync(ms, ct);
                Seen[layer.Digest] = (index, config.RootFs.DiffIds[index], ms.ToArray());
            });
    }

    private static async Task<(DistributionRegistry Registry, RegistryClient Client, TestImage Image, MemoryBlobStore Source)> PushedAsync(int[] sizes)
    {
        var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, sizes);
        var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        await new PushEngine(source).PushAsync(client, "tap/app", image.Manifest, "v1", null, Ct);
        return (registry, client, image, source);
    }

    [Fact]
    public async Task Every_downloaded_layer_reaches_the_tap_byte_for_byte_with_its_diff_id()
    {
        var (registry, client, image, source) = await PushedAsync([5_000, 3_000_000, 12_000_000]);
        using (registry)
        using (client)
        {
            var tap = new Tap();
            var target = new MemoryBlobStore();
            var pulled = await new PullEngine(target, tap: tap).PullAsync([client], "tap/app", "v1", null, null, Ct);
            Assert.Equal(3, pulled.LayersDownloaded);
            Assert.Equal(3, tap.Seen.Count);
            for (var i = 0; i < image.Layers.Count; i++)
            {
                var seen = tap.Seen[image.Layers[i].Digest];
                Assert.Equal(i, seen.Index);
                Assert.Equal(image.Layers[i].Digest, seen.DiffId); // TestImage's diff IDs are its layer digests
                Assert.Equal(source.Blobs[image.Layers[i].Digest], seen.Bytes);
                Assert.Equal(source.Blobs[image.Layers[i].Digest], target.Blobs[image.Layers[i].Digest]);
            }

            // Layers already stored are not downloaded, so not tapped either.
            var again = new Tap();
            var repull = await new PullEngine(target, tap: again).PullAsync([client], "tap/app", "v1", null, null, Ct);
            Assert.Equal(0, repull.LayersDownloaded);
            Assert.Empty(again.Seen);
        }
    }

    [Fact]
    public async Task A_consumer_that_stops_reading_early_does_not_stall_or_spoil_the_download()
    {
        var (registry, client, image, source) = await PushedAsync([20_000_000]);
        using (registry)
        using (client)
        {
            var tap = new Tap(async (stream, ct) =>
            {
                var buffer = new byte[1000];
                await stream.ReadExactlyAsync(buffer, ct);
            });
            var target = new MemoryBlobStore();
            await new PullEngine(target, tap: tap).PullAsync([client], "tap/app", "v1", null, null, Ct);
            Assert.Equal(source.Blobs[image.Layers[0].Digest], target.Blobs[image.Layers[0].Digest]);
        }
    }

    [Fact]
    public async Task A_failing_consumer_fails_the_pull_and_names_no_image()
    {
        var (registry, client, _, _) = await PushedAsync([2_000_000]);
        using (registry)
        using (client)
        {
            var tap = new Tap(async (stream, ct) =>
            {
                await stream.ReadExactlyAsync(new byte[100], ct);
                throw new DigestMismatchException("layer x: the uncompressed layer's digest is wrong");
            });
            var target = new MemoryBlobStore();
            var ex = await Assert.ThrowsAsync<DigestMismatchException>(() => new PullEngine(target, tap: tap).PullAsync([client], "tap/app", "v1", null, null, Ct));
            Assert.Contains("uncompressed layer's digest", ex.Message, StringComparison.Ordinal);
        }
    }
}
