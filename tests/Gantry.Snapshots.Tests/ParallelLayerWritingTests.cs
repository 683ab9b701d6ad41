// Owns: tests of parallel layer writing: multi-member gzip (valid, deterministic, stored when incompressible) and unpack-while-writing.
using System.IO.Compression;
using Gantry.Oci;
using Gantry.Snapshots.IO;
using Gantry.TestKit;

namespace Gantry.Snapshots.Tests;

public sealed class ParallelLayerWritingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Compressible(int size)
    {
        var text = "the quick brown fox jumps over the lazy dog 0123456789\n"u8;
        var data = new byte[size];
        for (var i = 0; i < size; i++)
        {
            data[i] = (byte)(text[i % text.Length] ^ (i / 4096 % 3 == 0 ? 0 : 0x20));
        }

        return data;
    }

    private static byte[] Gzip(byte[] data, int chunkSize, int workers)
    {
        var output = new MemoryStream();
        using (var gz = new ParallelGzipStream(output, 6, chunkSize, workers))
        {
            // odd write sizes: chunk boundaries must depend only on the bytes
            for (var offset = 0; offset < data.Length;)
            {
                var n = Math.Min(7777, data.Length - offset);
                gz.Write(data, offset, n);
                offset += n;
            }
        }

        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] gz)
    {
        using var input = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        var plain = new MemoryStream();
        input.CopyTo(plain);
        return plain.ToArray();
    }

    [Fact]
    public void Multi_member_gzip_is_deterministic_and_readable_by_dotnet_and_gnu_gzip()
    {
        var data = Compressible((3 * 65536) + 12345);
        var one = Gzip(data, 65536, workers: 1);
        var many = Gzip(data, 65536, workers: 8);

        Assert.Equal(one, many);
        Assert.True(one.Length < data.Length / 4, $"compressible data should shrink, got {one.Length} of {data.Length}");
        Assert.Equal(data, Gunzip(one));

        using var tmp = new TempDirectory("snap-pgz");
        var file = tmp.Combine("x.gz");
        File.WriteAllBytes(file, one);
        var gnu = ProcessRunner.Run("gzip", ["-t", file]);
        Assert.Equal(0, gnu.ExitCode);
        var sum = ProcessRunner.Run("sh", ["-c", $"gzip -dc '{file}' | sha256sum"]);
        Assert.StartsWith(Digest.Compute(data).Encoded, sum.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Incompressible_chunks_are_stored_and_empty_input_is_still_gzip()
    {
        var random = new byte[(2 * 65536) + 99];
        new Random(42).NextBytes(random);
        var gz = Gzip(random, 65536, workers: 2);
        Assert.True(gz.Length < random.Length + 200, $"stored chunks should cost only headers, got {gz.Length} of {random.Length}");
        Assert.Equal(random, Gunzip(gz));

        var empty = Gzip([], 65536, workers: 2);
        Assert.Equal(0x1f, empty[0]);
        Assert.Empty(Gunzip(empty));
    }

    [Fact]
    public void Hex_and_base64_text_is_compressed_not_stored()
    {
        var random = new byte[1 << 20];
        new Random(5).NextBytes(random);
        foreach (var text in new[] { Convert.ToHexStringLower(random), Convert.ToBase64String(random) })
        {
            var data = System.Text.Encoding.ASCII.GetBytes(text);
            var gz = Gzip(data, 65536, workers: 2);
            Assert.True(gz.Length < data.Length * 0.8, $"text over a small alphabet should compress (as gzip -6 does), got {gz.Length} of {data.Length}");
            Assert.Equal(data, Gunzip(gz));
        }
    }

    [Fact]
    public async Task Layer_unpacked_while_written_equals_the_blob_unpacked()
    {
        Requires.Root();
        using var tmp = new TempDirectory("snap-tee");
        var small = tmp.WriteFile("ctx/app.js", "console.log(1)\n");
        var big = tmp.Combine("ctx/big.bin");
        var bytes = new byte[3 << 20];
        new Random(7).NextBytes(bytes);
        await File.WriteAllBytesAsync(big, bytes, Ct);
        var w = new LayerWriter(new LayerWriteOptions { Compression = Compression.Gzip });
        w.AddDirectory("app", uid: 1000, gid: 1000, mode: 0b111_101_000);
        w.AddFile("app/app.js", small, uid: 1000, gid: 1000);
        w.AddFile("app/big.bin", big);
        w.AddSymlink("app/current", "app.js");
        w.Add(new LayerEntry { Path = "app/hard", Kind = LayerEntryKind.HardLink, LinkTarget = "app/app.js" });
        w.AddWhiteout("etc/gone");
        w.Add(new LayerEntry { Path = "opaque", Kind = LayerEntryKind.OpaqueDirectory, Mode = 0b111_101_101 });

        var blob = new MemoryStream();
        var teeDir = tmp.Combine("tee");
        var result = await w.WriteAsync(blob, teeDir, Ct);
        Assert.Equal(teeDir, result.UnpackedDirectory);

        blob.Position = 0;
        var fromBlob = tmp.Combine("blob");
        var extracted = await LayerExtractor.ExtractAsync(blob, fromBlob, new ExtractOptions { Sync = false }, Ct);
        Assert.Equal(result.DiffId, extracted.DiffId);
        TreeSnapshot.AssertSame(fromBlob, teeDir); // mtimes differ only for dirs neither made from an entry (etc/, made for etc/.wh.gone)
        Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(fromBlob, "app/app.js")), File.GetLastWriteTimeUtc(Path.Combine(teeDir, "app/app.js")));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(teeDir, "app/big.bin"), Ct));
    }

    [Fact]
    public async Task A_layer_that_cannot_be_unpacked_is_still_written()
    {
        using var tmp = new TempDirectory("snap-tee-fail");
        var w = new LayerWriter();
        w.AddBytes("x/file", "data"u8.ToArray());
        w.Add(new LayerEntry { Path = "x/link", Kind = LayerEntryKind.HardLink, LinkTarget = "nowhere" });
        var blob = new MemoryStream();
        var result = await w.WriteAsync(blob, tmp.Combine("tee"), Ct);
        Assert.Null(result.UnpackedDirectory);
        Assert.Equal(Digest.Compute(blob.ToArray()), result.Digest);
        Assert.Equal(2, result.Entries);
    }
}
