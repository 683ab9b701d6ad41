// Owns: tests of layer metadata (diff ID + uncompressed size per blob): recording, lazy computing, caching, GC, image sizes.
using System.IO.Compression;
using System.Security.Cryptography;
using Gantry.Content.Archives;
using Gantry.Oci;
using Gantry.Reference;
using Gantry.TestKit;

namespace Gantry.Content.Tests;

public sealed class LayerInfoTests
{
    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return buffer.ToArray();
    }

    private static byte[] Zstd(byte[] data)
    {
        using var compressor = new ZstdSharp.Compressor(3);
        return compressor.Wrap(data).ToArray();
    }

    /// <summary>Stores an image over a gzip, a zstd and a plain layer; returns it and the uncompressed payloads.</summary>
    private static async Task<(Image Image, byte[][] Payloads)> ThreeLayerImageAsync(ImageStore store, CancellationToken ct)
    {
        byte[][] payloads = [RandomNumberGenerator.GetBytes(70_000), RandomNumberGenerator.GetBytes(50_000), RandomNumberGenerator.GetBytes(3_000)];
        var layers = new List<Descriptor>
        {
            await store.Blobs.WriteAsync(MediaTypes.OciLayerGzip, Gzip(payloads[0]), ct),
            await store.Blobs.WriteAsync(MediaTypes.OciLayerZstd, Zstd(payloads[1]), ct),
            await store.Blobs.WriteAsync(MediaTypes.OciLayer, payloads[2], ct),
        };
        var config = new ImageConfig { Created = DateTimeOffset.UtcNow, RootFs = new RootFs { DiffIds = [.. payloads.Select(p => Digest.Compute(p))] } };
        var image = await store.CreateImageAsync(config, layers, [ImageReference.Parse("three:layers")], ct);
        return (image, payloads);
    }

    [Fact]
    public async Task Image_size_is_the_sum_of_uncompressed_layer_sizes_computed_once_and_recorded()
    {
        using var tmp = StoreFixture.Temp();
        var ct = TestContext.Current.CancellationToken;
        var store = ImageStore.Open(tmp.FullPath);
        var (image, payloads) = await ThreeLayerImageAsync(store, ct);
        Assert.True(image.Layers.Sum(l => l.Size) != payloads.Sum(p => p.Length));

        Assert.Equal(payloads.Sum(p => (long)p.Length), await store.GetImageSizeAsync(image, ct));
        var infos = await store.GetLayerInfoAsync(image, ct);
        for (var i = 0; i < payloads.Length; i++)
        {
            Assert.Equal(new LayerInfo(image.Layers[i].Digest, Digest.Compute(payloads[i]), payloads[i].Length), infos[i]);
            var record = Path.Combine(store.LayerInfoDirectory, "sha256", image.Layers[i].Digest.Encoded);
            Assert.True(File.Exists(record), record);
            Assert.StartsWith(store.ContentDirectory + "/layerinfo/", record, StringComparison.Ordinal);
        }

        Assert.Equal(3 + 2, StoreFixture.BlobFiles(store).Length); // layers + config + manifest: nothing added under blobs/

        // A later process reads the record rather than decompressing again: overwrite a record and a new store sees it.
        var fresh = ImageStore.Open(tmp.FullPath);
        Assert.Equal(infos[0], fresh.TryGetRecordedLayerInfo(image.Layers[0].Digest));
        await fresh.RecordLayerInfoAsync(image.Layers[0].Digest, infos[0]!.DiffId, 12345, ct);
        var third = ImageStore.Open(tmp.FullPath);
        Assert.Equal(12345 + payloads[1].Length + payloads[2].Length, await third.GetImageSizeAsync(await third.ResolveAsync("three:layers", ct), ct));
    }

    [Fact]
    public async Task An_unreadable_record_is_recomputed_and_rewritten()
    {
        using var tmp = StoreFixture.Temp();
        var ct = TestContext.Current.CancellationToken;
        var store = ImageStore.Open(tmp.FullPath);
        var (image, payloads) = await ThreeLayerImageAsync(store, ct);
        await store.GetLayerInfoAsync(image, ct);
        var record = Path.Combine(store.LayerInfoDirectory, "sha256", image.Layers[0].Digest.Encoded);
        File.WriteAllText(record, "{\"diffID\":");

        var fresh = ImageStore.Open(tmp.FullPath);
        Assert.Null(fresh.TryGetRecordedLayerInfo(image.Layers[0].Digest));
        Assert.Equal(payloads[0].Length, (await fresh.GetLayerInfoAsync(image.Layers[0], ct))!.UncompressedSize);
        Assert.Contains(Digest.Compute(payloads[0]).ToString(), File.ReadAllText(record), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_layer_fails_clearly_and_its_size_falls_back_to_the_blob_size()
    {
        using var tmp = StoreFixture.Temp();
        var ct = TestContext.Current.CancellationToken;
        var store = ImageStore.Open(tmp.FullPath);
        byte[] bad = [0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07];
        var layer = await store.Blobs.WriteAsync(MediaTypes.OciLayerGzip, bad, ct);
        var image = await store.CreateImageAsync(new ImageConfig { RootFs = new RootFs { DiffIds = [Digest.Compute(bad)] } }, [layer], [], ct);

        var ex = await Assert.ThrowsAsync<GantryException>(() => store.GetLayerInfoAsync(layer, ct));
        Assert.Contains(layer.Digest.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains("gzip", ex.Message, StringComparison.Ordinal);
        Assert.Equal(bad.Length, await store.GetImageSizeAsync(image, ct));
        Assert.False(Directory.Exists(Path.Combine(store.LayerInfoDirectory, "sha256")) && Directory.EnumerateFiles(Path.Combine(store.LayerInfoDirectory, "sha256")).Any());
    }

    [Fact]
    public async Task Import_records_the_tar_size_and_diff_id_and_gc_removes_the_record_with_the_blob()
    {
        var busybox = BusyboxRootfs.Get();
        using var tmp = StoreFixture.Temp();
        var ct = TestContext.Current.CancellationToken;
        var store = ImageStore.Open(tmp.FullPath);
        Image image;
        await using (var input = File.OpenRead(busybox.TarGz))
        {
            image = await ImageImporter.ImportAsync(store, input, busybox.TarGz, ImageReference.Parse("bb:1"), cancellationToken: ct);
        }

        var tarBytes = await File.ReadAllBytesAsync(busybox.Tar, ct);
        var recorded = store.TryGetRecordedLayerInfo(image.Layers[0].Digest);
        Assert.Equal(new LayerInfo(image.Layers[0].Digest, Digest.Compute(tarBytes), tarBytes.Length), recorded);
        Assert.Equal(image.Config.RootFs.DiffIds[0], recorded!.DiffId);
        Assert.Equal(tarBytes.Length, await store.GetImageSizeAsync(image, ct));
        Assert.Equal(tarBytes.Length, (await store.DiskUsageAsync(null, ct)).Size);

        await store.RemoveAsync("bb:1", cancellationToken: ct);
        await store.CollectGarbageAsync(ct);
        Assert.Null(ImageStore.Open(tmp.FullPath).TryGetRecordedLayerInfo(image.Layers[0].Digest));
        Assert.Empty(Directory.EnumerateFiles(store.LayerInfoDirectory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Load_records_layer_info_for_docker_and_oci_archives()
    {
        var busybox = BusyboxRootfs.Get();
        using var tmp = StoreFixture.Temp();
        var ct = TestContext.Current.CancellationToken;
        var source = ImageStore.Open(tmp.Combine("src"));
        var (threeImage, payloads) = await ThreeLayerImageAsync(source, ct);
        Image bb;
        await using (var input = File.OpenRead(busybox.Tar))
        {
            bb = await ImageImporter.ImportAsync(source, input, busybox.Tar, ImageReference.Parse("bb:1"), cancellationToken: ct);
        }

        var archive = tmp.Combine("images.tar");
        await using (var output = File.Create(archive))
        {
            await ArchiveWriter.WriteAsync(source, [new ArchiveWriter.Item(bb, [.. bb.Names]), new ArchiveWriter.Item(threeImage, [.. threeImage.Names])], output, ct);
        }

        var target = ImageStore.Open(tmp.Combine("dst"));
        ArchiveLoader.Result result;
        await using (var input = File.OpenRead(archive))
        {
            result = await ArchiveLoader.LoadAsync(target, input, archive, tmp.Combine("scratch"), ct);
        }

        Assert.Equal(2, result.Images.Count);
        var tarLength = new FileInfo(busybox.Tar).Length;
        var loadedBb = await target.ResolveAsync("bb:1", ct);
        var loadedThree = await target.ResolveAsync("three:layers", ct);
        foreach (var (image, sizes) in new[] { (loadedBb, new[] { tarLength }), (loadedThree, payloads.Select(p => (long)p.Length).ToArray()) })
        {
            for (var i = 0; i < sizes.Length; i++)
            {
                var info = target.TryGetRecordedLayerInfo(image.Layers[i].Digest);
                Assert.NotNull(info);
                Assert.Equal(sizes[i], info.UncompressedSize);
                Assert.Equal(image.Config.RootFs.DiffIds[i], info.DiffId);
            }

            Assert.Equal(sizes.Sum(), await target.GetImageSizeAsync(image, ct));
        }
    }
}
