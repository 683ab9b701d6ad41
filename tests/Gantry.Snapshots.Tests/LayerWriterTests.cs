// Owns: tests that written layers are deterministic, readable by GNU tar, correctly digested, in gzip, zstd and plain.
using System.Security.Cryptography;
using Gantry.Oci;
using Gantry.TestKit;

namespace Gantry.Snapshots.Tests;

public sealed class LayerWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static LayerWriter Sample(TempDirectory tmp, Compression compression, DateTimeOffset? epoch = null)
    {
        var src = tmp.WriteFile("ctx/server.js", "console.log('hi')\n");
        File.SetUnixFileMode(src, (UnixFileMode)0b111_101_101);
        File.SetLastWriteTimeUtc(src, new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        var w = new LayerWriter(new LayerWriteOptions { Compression = compression, SourceDateEpoch = epoch });
        w.AddFile("/app/server.js", src, uid: 1000, gid: 1000);
        w.AddDirectory("app", uid: 1000, gid: 1000);
        w.AddBytes("./app/" + new string('n', 120) + "/long.txt", "long"u8.ToArray());
        w.AddDirectory("app/" + new string('n', 120));
        w.AddSymlink("app/current", "server.js");
        w.AddBytes("app.txt", "sorted after app/ entries"u8.ToArray());
        w.AddWhiteout("etc/old.conf");
        return w;
    }

    [Theory]
    [InlineData(Compression.Gzip)]
    [InlineData(Compression.Zstd)]
    [InlineData(Compression.None)]
    public async Task Same_entries_give_the_same_digests_and_both_digests_are_right(Compression compression)
    {
        using var tmp = new TempDirectory("snap-writer");
        var one = new MemoryStream();
        var two = new MemoryStream();
        var r1 = await Sample(tmp, compression).WriteAsync(one, Ct);
        var r2 = await Sample(tmp, compression).WriteAsync(two, Ct);

        Assert.Equal(r1, r2);
        Assert.False(r1.IsEmpty);
        Assert.Equal(7, r1.Entries);
        Assert.Equal(Digest.Compute(one.ToArray()), r1.Digest);
        Assert.Equal(one.Length, r1.Size);
        one.Position = 0;
        using var tar = Compressions.OpenRead(one, compression);
        var plain = new MemoryStream();
        tar.CopyTo(plain);
        Assert.Equal(Digest.Compute(plain.ToArray()), r1.DiffId);
        Assert.Equal(plain.Length, r1.UncompressedSize);
        Assert.Equal(compression switch { Compression.Gzip => MediaTypes.OciLayerGzip, Compression.Zstd => MediaTypes.OciLayerZstd, _ => MediaTypes.OciLayer }, r1.MediaType);

        var listing = tmp.Combine("layer.tar");
        await File.WriteAllBytesAsync(listing, plain.ToArray(), Ct);
        var gnu = ProcessRunner.Run("tar", ["--numeric-owner", "-tvf", listing]);
        Assert.Equal(0, gnu.ExitCode);
        var names = ProcessRunner.Run("tar", ["-tf", listing]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["app/", "app/current", "app/" + new string('n', 120) + "/", "app/" + new string('n', 120) + "/long.txt", "app/server.js", "app.txt", "etc/.wh.old.conf"], names);
        Assert.Contains("-rwxr-xr-x 1000/1000", gnu.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Source_date_epoch_clamps_mtimes()
    {
        using var tmp = new TempDirectory("snap-epoch");
        var epoch = DateTimeOffset.FromUnixTimeSeconds(1_000_000_000);
        var out1 = new MemoryStream();
        var r = await Sample(tmp, Compression.None, epoch).WriteAsync(out1, Ct);
        await File.WriteAllBytesAsync(tmp.Combine("l.tar"), out1.ToArray(), Ct);
        var listing = ProcessRunner.Run("tar", ["--full-time", "--utc", "-tvf", tmp.Combine("l.tar")]).StdOut;
        Assert.DoesNotContain(DateTime.UtcNow.Year.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-", listing, StringComparison.Ordinal);
        Assert.Contains("2001-09-09 01:46:40 app/server.js", listing, StringComparison.Ordinal);
        Assert.False(r.IsEmpty);
    }

    [Fact]
    public async Task Empty_layer_is_reported_as_empty_and_not_stored()
    {
        using var tmp = new TempDirectory("snap-empty");
        var store = new TestBlobStore(tmp.Combine("blobs"));
        var writer = new LayerWriter();
        Assert.True(writer.IsEmpty);
        var r = await writer.WriteAsync(store, tmp.Combine("tmp"), Ct);
        Assert.True(r.IsEmpty);
        Assert.Equal(Digest.Parse("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"), r.DiffId);
        Assert.False(await store.ExistsAsync(r.Digest, Ct));
    }

    [Fact]
    public async Task Layer_written_to_a_blob_store_is_verified_and_readable()
    {
        using var tmp = new TempDirectory("snap-store");
        var store = new TestBlobStore(tmp.Combine("blobs"));
        var r = await Sample(tmp, Compression.Gzip).WriteAsync(store, tmp.Combine("tmp"), Ct);
        Assert.True(await store.ExistsAsync(r.Digest, Ct));
        await using var blob = await store.OpenReadAsync(r.Digest, Ct);
        var x = await LayerExtractor.ExtractAsync(blob, tmp.Combine("out"), new ExtractOptions { Mode = ExtractMode.Flatten, ExpectedDiffId = r.DiffId, Sync = false }, Ct);
        Assert.Equal(r.DiffId, x.DiffId);
        Assert.Equal("console.log('hi')\n", await File.ReadAllTextAsync(tmp.Combine("out", "app", "server.js"), Ct));
        Assert.Equal("server.js", new FileInfo(tmp.Combine("out", "app", "current")).LinkTarget);
        Assert.Empty(Directory.GetFiles(tmp.Combine("tmp")));
        _ = SHA256.HashData([]);
    }
}
