// Owns: push and pull round trips against a real plain-HTTP distribution registry, mounts, tags, missing tags, bad content.
using Gantry.Oci;
using Gantry.Registry.Client.Credentials;
using Gantry.Registry.Client.Transfer;
using Gantry.TestKit;

namespace Gantry.Registry.Client.Tests;

public sealed class PlainRegistryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Events : IProgress<TransferEvent>
    {
        public List<TransferEvent> All { get; } = [];

        public void Report(TransferEvent value)
        {
            lock (All)
            {
                All.Add(value);
            }
        }

        public int Count(TransferState state) => All.Count(e => e.State == state && e.IsLayer);
    }

    [Fact]
    public async Task Push_then_pull_into_an_empty_store_gives_the_same_image()
    {
        using var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [200_000, 50_000, 1_000]);
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);

        var pushEvents = new Events();
        var pushed = await new PushEngine(source).PushAsync(client, "team/app", image.Manifest, "v1", pushEvents, Ct);
        Assert.Equal(image.Manifest.Digest, pushed.Digest);
        Assert.Equal(3, pushed.LayersPushed);
        Assert.Equal(3, pushEvents.Count(TransferState.Complete));

        var target = new MemoryBlobStore();
        var pulled = await new PullEngine(target).PullAsync([client], "team/app", "v1", null, null, Ct);
        Assert.Equal(image.Config.Digest, pulled.ImageId);
        Assert.Equal(image.Manifest.Digest, pulled.Root.Digest);
        Assert.Equal(3, pulled.LayersDownloaded);
        foreach (var layer in image.Layers)
        {
            Assert.Equal(source.Blobs[layer.Digest], target.Blobs[layer.Digest]);
        }

        Assert.Equal(image.ManifestBytes, target.Blobs[image.Manifest.Digest]);

        // Again: everything is already there on both sides.
        var again = await new PushEngine(source).PushAsync(client, "team/app", image.Manifest, "v2", null, Ct);
        Assert.Equal(3, again.LayersSkipped);
        var writes = target.Writes;
        var repull = await new PullEngine(target).PullAsync([client], "team/app", "v2", null, null, Ct);
        Assert.Equal(0, repull.LayersDownloaded);
        Assert.Equal(writes, target.Writes); // nothing fetched or written again

        Assert.Equal(["v1", "v2"], (await client.ListTagsAsync("team/app", Ct)).Order());
    }

    [Fact]
    public async Task Pull_by_digest_and_docker_v2_schema2_media_types()
    {
        using var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [10_000], MediaTypes.DockerLayerGzip, MediaTypes.DockerManifest);
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        await new PushEngine(source).PushAsync(client, "lib/docker", image.Manifest, "latest", null, Ct);

        var target = new MemoryBlobStore();
        var pulled = await new PullEngine(target).PullAsync([client], "lib/docker", image.Manifest.Digest.ToString(), null, null, Ct);
        Assert.Equal(MediaTypes.DockerManifest, pulled.Manifest.MediaType);
        Assert.Equal(image.Config.Digest, pulled.ImageId);
    }

    [Fact]
    public async Task Index_pull_selects_the_platform_and_push_sends_children_first()
    {
        using var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var native = await TestImage.CreateAsync(source, [3_000]);
        var other = await TestImage.CreateAsync(source, [4_000]);
        var otherArch = Platform.Current.Architecture == "arm64" ? "amd64" : "arm64";
        var index = new ImageIndex
        {
            MediaType = MediaTypes.OciIndex,
            Manifests =
            [
                other.Manifest with { Platform = new Platform { Os = "linux", Architecture = otherArch } },
                native.Manifest with { Platform = new Platform { Os = "linux", Architecture = Platform.Current.Architecture } },
            ],
        };
        var indexBytes = OciJson.Serialize(index);
        var indexDigest = await source.WriteAsync(indexBytes, Ct);
        var indexDesc = new Descriptor { MediaType = MediaTypes.OciIndex, Digest = indexDigest, Size = indexBytes.Length };
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        var pushed = await new PushEngine(source).PushAsync(client, "multi/arch", indexDesc, "latest", null, Ct);
        Assert.Equal(indexDigest, pushed.Digest);

        var target = new MemoryBlobStore();
        var pulled = await new PullEngine(target).PullAsync([client], "multi/arch", "latest", null, null, Ct);
        Assert.Equal(indexDigest, pulled.Root.Digest);
        Assert.Equal(native.Manifest.Digest, pulled.Manifest.Digest);
        Assert.False(target.Blobs.ContainsKey(other.Layers[0].Digest));

        var explicitOther = await new PullEngine(new MemoryBlobStore()).PullAsync([client], "multi/arch", "latest", new Platform { Os = "linux", Architecture = otherArch }, null, Ct);
        Assert.Equal(other.Config.Digest, explicitOther.ImageId);

        var ex = await Assert.ThrowsAsync<RegistryException>(() => new PullEngine(new MemoryBlobStore()).PullAsync([client], "multi/arch", "latest", Platform.Parse("linux/s390x"), null, Ct));
        Assert.Contains("no matching manifest for linux/s390x", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_mounts_a_blob_known_in_another_repository_of_the_same_registry()
    {
        using var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [30_000]);
        var hints = new BlobSourceIndex(null);
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        await new PushEngine(source, sources: hints).PushAsync(client, "first/repo", image.Manifest, "a", null, Ct);
        var events = new Events();
        var second = await new PushEngine(source, sources: hints).PushAsync(client, "second/repo", image.Manifest, "b", events, Ct);
        Assert.Equal(1, second.LayersMounted);
        Assert.Contains(events.All, e => e.State == TransferState.Mounted && e.Detail == "first/repo");
    }

    [Fact]
    public async Task Missing_tag_and_missing_repository_give_clear_errors()
    {
        using var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [1_000]);
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        await new PushEngine(source).PushAsync(client, "some/repo", image.Manifest, "v1", null, Ct);
        var target = new MemoryBlobStore();
        var ex = await Assert.ThrowsAsync<RegistryException>(() => new PullEngine(target).PullAsync([client], "some/repo", "nope", null, null, Ct));
        Assert.Contains($"manifest for {registry.Host}/some/repo:nope not found", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.IsNotFound);
        Assert.Empty(target.Blobs);
    }

    [Fact]
    public async Task Corrupt_blob_at_the_registry_fails_and_stores_nothing()
    {
        using var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [20_000]);
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous, new RegistryOptions { RetryDelay = TimeSpan.FromMilliseconds(10) });
        await new PushEngine(source).PushAsync(client, "bad/blob", image.Manifest, "v1", null, Ct);
        var data = BlobDataPath(registry, image.Layers[0].Digest);
        var bytes = File.ReadAllBytes(data);
        bytes[100] ^= 0xff;
        File.WriteAllBytes(data, bytes);

        var target = new MemoryBlobStore();
        var ex = await Assert.ThrowsAsync<DigestMismatchException>(() => new PullEngine(target).PullAsync([client], "bad/blob", "v1", null, null, Ct));
        Assert.Contains(image.Layers[0].Digest.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{registry.Host}/bad/blob", ex.Message, StringComparison.Ordinal);
        Assert.False(target.Blobs.ContainsKey(image.Layers[0].Digest));
        Assert.False(target.Blobs.ContainsKey(image.Manifest.Digest));
    }

    [Fact]
    public async Task Truncated_blob_at_the_registry_fails_and_stores_nothing()
    {
        using var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [20_000]);
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous, new RegistryOptions { RetryDelay = TimeSpan.FromMilliseconds(10) });
        await new PushEngine(source).PushAsync(client, "short/blob", image.Manifest, "v1", null, Ct);
        var data = BlobDataPath(registry, image.Layers[0].Digest);
        File.WriteAllBytes(data, File.ReadAllBytes(data)[..5000]);

        var target = new MemoryBlobStore();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => new PullEngine(target).PullAsync([client], "short/blob", "v1", null, null, Ct));
        Assert.True(ex is IOException or GantryException, ex.ToString());
        Assert.Contains("5000", ex.Message, StringComparison.Ordinal);
        Assert.False(target.Blobs.ContainsKey(image.Layers[0].Digest));
        Assert.False(target.Blobs.ContainsKey(image.Manifest.Digest));
    }

    [Fact]
    public async Task Unknown_layer_media_type_is_refused_before_any_download()
    {
        using var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [1_000], layerMediaType: "application/x-not-a-layer");
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        await new PushEngine(source).PushAsync(client, "weird/types", image.Manifest, "v1", null, Ct);
        var target = new MemoryBlobStore();
        var ex = await Assert.ThrowsAsync<RegistryException>(() => new PullEngine(target).PullAsync([client], "weird/types", "v1", null, null, Ct));
        Assert.Contains("unknown media type 'application/x-not-a-layer'", ex.Message, StringComparison.Ordinal);
        Assert.Empty(target.Blobs);
    }

    [Fact]
    public async Task Mirror_is_tried_first_and_the_real_registry_is_the_fallback()
    {
        using var mirror = DistributionRegistry.StartPlain();
        using var upstream = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var onlyUpstream = await TestImage.CreateAsync(source, [2_000]);
        var onMirror = await TestImage.CreateAsync(source, [3_000]);
        using var mirrorClient = new RegistryClient("docker.io", StaticCredentialProvider.Anonymous, endpoint: mirror.BaseUri);
        using var upstreamClient = new RegistryClient(upstream.Host, StaticCredentialProvider.Anonymous);
        await new PushEngine(source).PushAsync(mirrorClient, "library/busybox", onMirror.Manifest, "latest", null, Ct);
        await new PushEngine(source).PushAsync(upstreamClient, "library/busybox", onlyUpstream.Manifest, "other", null, Ct);

        var a = await new PullEngine(new MemoryBlobStore()).PullAsync([mirrorClient, upstreamClient], "library/busybox", "latest", null, null, Ct);
        Assert.Equal(onMirror.Config.Digest, a.ImageId);
        Assert.Equal(mirror.Host, a.Source);
        var b = await new PullEngine(new MemoryBlobStore()).PullAsync([mirrorClient, upstreamClient], "library/busybox", "other", null, null, Ct);
        Assert.Equal(onlyUpstream.Config.Digest, b.ImageId);
        Assert.Equal(upstream.Host, b.Source);
    }

    internal static string BlobDataPath(DistributionRegistry registry, Digest digest) =>
        Path.Combine(registry.StorageDirectory, "docker", "registry", "v2", "blobs", "sha256", digest.Encoded[..2], digest.Encoded, "data");
}
