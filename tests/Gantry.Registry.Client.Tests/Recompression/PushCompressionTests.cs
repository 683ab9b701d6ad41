// Owns: pushes with --compression-format semantics against docker-registry: zstd → OCI manifest, diffIDs kept, recompressed blobs reused.
using System.IO.Compression;
using System.Security.Cryptography;
using Gantry.Oci;
using Gantry.Registry.Client.Credentials;
using Gantry.Registry.Client.Recompression;
using Gantry.TestKit;

namespace Gantry.Registry.Client.Tests.Recompression;

public sealed class PushCompressionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A Docker v2 image whose layers are really gzip (diffID = sha256 of the raw bytes).</summary>
    private static async Task<(TestImage Image, byte[][] Raw)> DockerGzipImageAsync(MemoryBlobStore store, params int[] sizes)
    {
        var raws = sizes.Select(RandomNumberGenerator.GetBytes).ToArray();
        var layers = new List<Descriptor>();
        foreach (var raw in raws)
        {
            using var ms = new MemoryStream();
            await using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            {
                await gz.WriteAsync(raw, Ct);
            }

            var bytes = ms.ToArray();
            layers.Add(new Descriptor { MediaType = MediaTypes.DockerLayerGzip, Digest = await store.WriteAsync(bytes, Ct), Size = bytes.Length });
        }

        var config = new ImageConfig
        {
            Architecture = Platform.Current.Architecture,
            Os = "linux",
            Config = new ContainerConfig { Cmd = ["/bin/sh"] },
            RootFs = new RootFs { DiffIds = raws.Select(r => Digest.Compute(r)).ToList() },
        };
        var configBytes = OciJson.Serialize(config);
        var configDesc = new Descriptor { MediaType = MediaTypes.DockerConfig, Digest = await store.WriteAsync(configBytes, Ct), Size = configBytes.Length };
        var manifest = new ImageManifest { MediaType = MediaTypes.DockerManifest, Config = configDesc, Layers = layers };
        var manifestBytes = OciJson.Serialize(manifest);
        var md = await store.WriteAsync(manifestBytes, Ct);
        return (new TestImage(new Descriptor { MediaType = MediaTypes.DockerManifest, Digest = md, Size = manifestBytes.Length }, manifestBytes, configDesc, layers), raws);
    }

    [Fact]
    public async Task Zstd_push_converts_a_docker_manifest_to_oci_keeps_diffids_and_reuses_the_recompressed_blobs()
    {
        using var registry = DistributionRegistry.StartPlain();
        using var cache = new TempDirectory();
        var source = new MemoryBlobStore();
        var (image, raws) = await DockerGzipImageAsync(source, 300_000, 40_000);
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        var compression = new PushCompression(Gantry.Oci.Compression.Zstd);
        var recompressor = new LayerRecompressor(source, cache.FullPath);
        var first = await new PushEngine(source, compression: compression, recompressor: recompressor).PushAsync(client, "zstd/app", image.Manifest, "v1", null, Ct);
        Assert.Equal(MediaTypes.OciManifest, first.MediaType);
        Assert.Equal(2, first.LayersRecompressed);
        Assert.NotEqual(image.Manifest.Digest, first.Digest);

        var fetched = await client.GetManifestAsync("zstd/app", "v1", Ct);
        Assert.Equal(first.Digest, fetched.Digest);
        Assert.Equal(MediaTypes.OciManifest, fetched.MediaType);
        var manifest = OciJson.ParseManifest(fetched.Bytes);
        Assert.Equal(MediaTypes.OciConfig, manifest.Config.MediaType);
        Assert.Equal(image.Config.Digest, manifest.Config.Digest);
        Assert.All(manifest.Layers, l => Assert.Equal(MediaTypes.OciLayerZstd, l.MediaType));

        // Pulled back: the same image ID, and each zstd layer uncompresses to the original tar bytes.
        var target = new MemoryBlobStore();
        var pulled = await new PullEngine(target).PullAsync([client], "zstd/app", "v1", null, null, Ct);
        Assert.Equal(image.Config.Digest, pulled.ImageId);
        for (var i = 0; i < raws.Length; i++)
        {
            await using var zstd = new ZstdSharp.DecompressionStream(new MemoryStream(target.Blobs[manifest.Layers[i].Digest]));
            using var plain = new MemoryStream();
            await zstd.CopyToAsync(plain, Ct);
            Assert.Equal(raws[i], plain.ToArray());
        }

        // The recompressed blobs stayed in the store: a second push recompresses nothing and pushes the same manifest.
        var second = await new PushEngine(source, compression: compression, recompressor: new LayerRecompressor(source, cache.FullPath))
            .PushAsync(client, "zstd/again", image.Manifest, "v1", null, Ct);
        Assert.Equal(0, second.LayersRecompressed);
        Assert.Equal(first.Digest, second.Digest);

        // Without the cache the same bytes come out (deterministic encoding), at the cost of recompressing.
        var uncached = await new PushEngine(CopyOf(source), compression: compression).PushAsync(client, "zstd/uncached", image.Manifest, "v1", null, Ct);
        Assert.Equal(2, uncached.LayersRecompressed);
        Assert.Equal(first.Digest, uncached.Digest);
    }

    [Fact]
    public async Task Gzip_push_of_zstd_layers_recompresses_and_without_force_reuses_what_the_registry_has()
    {
        using var registry = DistributionRegistry.StartPlain();
        var source = new MemoryBlobStore();
        var (image, _) = await DockerGzipImageAsync(source, 100_000);
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        var zstd = await new PushEngine(source, compression: new PushCompression(Gantry.Oci.Compression.Zstd)).PushAsync(client, "mix/app", image.Manifest, "zstd", null, Ct);
        var zstdManifest = new Descriptor { MediaType = MediaTypes.OciManifest, Digest = zstd.Digest, Size = zstd.Size };
        var fetched = await client.GetManifestAsync("mix/app", "zstd", Ct);
        await source.WriteAsync(fetched.Bytes, Ct);

        // zstd → gzip: an OCI manifest with +gzip layers, same config.
        var gzip = await new PushEngine(source, compression: new PushCompression(Gantry.Oci.Compression.Gzip, Level: 9)).PushAsync(client, "mix/gz", zstdManifest, "v1", null, Ct);
        Assert.Equal(1, gzip.LayersRecompressed);
        var gzManifest = OciJson.ParseManifest((await client.GetManifestAsync("mix/gz", "v1", Ct)).Bytes);
        Assert.Equal(MediaTypes.OciLayerGzip, Assert.Single(gzManifest.Layers).MediaType);
        Assert.Equal(image.Config.Digest, gzManifest.Config.Digest);

        // Without --force-compression, a layer the registry already holds as stored is kept: the Docker manifest goes as it is.
        await new PushEngine(source).PushAsync(client, "mix/plain", image.Manifest, "v1", null, Ct);
        var kept = await new PushEngine(source, compression: new PushCompression(Gantry.Oci.Compression.Zstd, Force: false)).PushAsync(client, "mix/plain", image.Manifest, "v2", null, Ct);
        Assert.Equal(0, kept.LayersRecompressed);
        Assert.Equal(image.Manifest.Digest, kept.Digest);
        Assert.Equal(MediaTypes.DockerManifest, kept.MediaType);
    }

    [Fact]
    public async Task A_layer_that_does_not_match_its_diffid_is_refused_and_nothing_is_cached()
    {
        using var registry = DistributionRegistry.StartPlain();
        using var cache = new TempDirectory();
        var source = new MemoryBlobStore();
        var (image, _) = await DockerGzipImageAsync(source, 10_000);
        var config = OciJson.ParseConfig(source.Blobs[image.Config.Digest]);
        var badConfigBytes = OciJson.Serialize(config with { RootFs = new RootFs { DiffIds = [Digest.Compute("not the layer"u8)] } });
        var badConfig = image.Config with { Digest = await source.WriteAsync(badConfigBytes, Ct), Size = badConfigBytes.Length };
        var manifestBytes = OciJson.Serialize(OciJson.ParseManifest(image.ManifestBytes) with { Config = badConfig });
        var manifest = image.Manifest with { Digest = await source.WriteAsync(manifestBytes, Ct), Size = manifestBytes.Length };
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        var ex = await Assert.ThrowsAsync<DigestMismatchException>(() =>
            new PushEngine(source, compression: new PushCompression(Gantry.Oci.Compression.Zstd), recompressor: new LayerRecompressor(source, cache.FullPath))
                .PushAsync(client, "bad/diffid", manifest, "v1", null, Ct));
        Assert.Contains("diffID", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(cache.FullPath));
        Assert.Null(await client.HeadManifestAsync("bad/diffid", "v1", Ct));
    }

    /// <summary>A separate store holding the same blobs (recompressed blobs written by earlier steps are not in it).</summary>
    private static MemoryBlobStore CopyOf(MemoryBlobStore source)
    {
        var copy = new MemoryBlobStore();
        foreach (var (d, b) in source.Blobs)
        {
            copy.Blobs[d] = b;
        }

        return copy;
    }
}
