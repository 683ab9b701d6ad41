// Owns: tests of gzip member reuse: content-defined chunks, byte-identical output with and without the cache, verified hits, layer-level reuse.
using System.IO.Compression;
using Gantry.Oci;
using Gantry.Snapshots.IO;
using Gantry.TestKit;

namespace Gantry.Snapshots.Tests.IO;

public sealed class GzipMemberCacheTests
{
    private const int Chunk = 64 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Compressible text that never repeats: random words from a small vocabulary, like source code.</summary>
    private static byte[] Text(int size, int seed)
    {
        var random = new Random(seed);
        var words = Enumerable.Range(0, 300).Select(i => new string(Enumerable.Range(0, 3 + (i % 7)).Select(_ => (char)('a' + random.Next(26))).ToArray())).ToArray();
        var text = new System.Text.StringBuilder(size + 16);
        while (text.Length < size)
        {
            text.Append(words[random.Next(words.Length)]).Append(random.Next(12) == 0 ? '\n' : ' ');
        }

        return System.Text.Encoding.ASCII.GetBytes(text.ToString(0, size));
    }

    private static (byte[] Gz, ParallelGzipStream Stream) Gzip(byte[] data, GzipMemberCache? cache, int writeSize = 7777)
    {
        var output = new MemoryStream();
        var gz = new ParallelGzipStream(output, 6, Chunk, workers: 2, cache: cache);
        using (gz)
        {
            for (var offset = 0; offset < data.Length;)
            {
                var n = Math.Min(writeSize, data.Length - offset);
                gz.Write(data, offset, n);
                offset += n;
            }
        }

        return (output.ToArray(), gz);
    }

    private static byte[] Gunzip(byte[] gz)
    {
        using var input = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        var plain = new MemoryStream();
        input.CopyTo(plain);
        return plain.ToArray();
    }

    /// <summary>Stores <paramref name="gz"/> as a blob under <paramref name="blobs"/> and records its members, as the builder does.</summary>
    private static Digest Store(string blobs, GzipMemberCache cache, byte[] gz, ParallelGzipStream stream)
    {
        var digest = Digest.Compute(gz);
        Directory.CreateDirectory(blobs);
        File.WriteAllBytes(Path.Combine(blobs, digest.Encoded), gz);
        cache.Record(new LayerResult
        {
            DiffId = digest,
            Digest = digest,
            Size = gz.Length,
            MediaType = MediaTypes.OciLayerGzip,
            IsEmpty = false,
            CompressedMembers = stream.Members,
        });
        return digest;
    }

    [Theory]
    [InlineData(0, 0xFFFUL << 52)]
    [InlineData(1, 0xFFFUL << 52)]
    [InlineData(64, 0xFFUL << 56)]
    [InlineData(5000, 0x3UL << 62)]
    public void The_two_bytes_a_step_gear_scan_cuts_where_the_byte_by_byte_definition_does(int first, ulong mask)
    {
        var data = new byte[200_000];
        new Random(first + 1).NextBytes(data);
        var gear = ParallelGzipStream.GearTable;
        for (var offset = 0; offset < 64; offset += 7)
        {
            foreach (var length in new[] { 0, 1, 2, 3, 1001, 65536, data.Length - offset })
            {
                var span = data.AsSpan(offset, length);
                ulong expected = 0x1234, actual = 0x1234;
                var want = -1;
                for (var i = 0; i < span.Length; i++)
                {
                    expected = (expected << 1) + gear[span[i]];
                    if ((expected & mask) == 0 && i >= first)
                    {
                        want = i + 1;
                        break;
                    }
                }

                Assert.Equal(want, ParallelGzipStream.FindCut(span, ref actual, mask, first));
                Assert.Equal(expected, actual);
            }
        }
    }

    [Fact]
    public void Chunk_boundaries_depend_only_on_the_bytes()
    {
        var data = Text(40 * Chunk, 1);
        var (a, _) = Gzip(data, null, writeSize: 1);
        var (b, _) = Gzip(data, null, writeSize: 1 << 20);
        Assert.Equal(a, b);
        Assert.Equal(data, Gunzip(a));
    }

    [Fact]
    public void An_edit_recompresses_only_the_chunks_around_it_and_the_output_is_the_same_as_without_the_cache()
    {
        using var tmp = new TempDirectory("snap-gzmc");
        var blobs = tmp.Combine("blobs");
        var cache = new GzipMemberCache(tmp.Combine("members"), d => Path.Combine(blobs, d.Encoded));
        var before = Text(40 * Chunk, 2);
        var (first, firstStream) = Gzip(before, cache);
        Assert.Equal(0, firstStream.Reused);
        var chunks = firstStream.Members.Count;
        Assert.True(chunks >= 20, $"40 average chunks of text should give at least 20 members, got {chunks}");
        Store(blobs, cache, first, firstStream);

        // Insert 300 bytes a third of the way in: the offsets of everything after it shift.
        var at = before.Length / 3;
        var after = before[..at].Concat(Text(300, 3)).Concat(before[at..]).ToArray();
        var (second, secondStream) = Gzip(after, cache);
        var (uncached, _) = Gzip(after, null);

        Assert.Equal(uncached, second);
        Assert.Equal(after, Gunzip(second));
        Assert.True(secondStream.Reused >= chunks - 3, $"all but the chunks around the edit should be reused: {secondStream.Reused} of {chunks}");
        Assert.True(secondStream.Members.Count <= 3, $"only the chunks around the edit should be compressed: {secondStream.Members.Count}");
    }

    [Fact]
    public void A_member_whose_blob_bytes_changed_or_vanished_is_compressed_again()
    {
        using var tmp = new TempDirectory("snap-gzmc-bad");
        var blobs = tmp.Combine("blobs");
        var cache = new GzipMemberCache(tmp.Combine("members"), d => Path.Combine(blobs, d.Encoded));
        var data = Text(12 * Chunk, 4);
        var (gz, stream) = Gzip(data, cache);
        var digest = Store(blobs, cache, gz, stream);
        var members = stream.Members;

        // Corrupt one byte inside the second member of the stored blob.
        var path = Path.Combine(blobs, digest.Encoded);
        var bytes = File.ReadAllBytes(path);
        bytes[members[1].Offset + (members[1].Length / 2)] ^= 0xff;
        File.WriteAllBytes(path, bytes);

        var (again, againStream) = Gzip(data, cache);
        Assert.Equal(gz, again);
        Assert.Equal(members.Count - 1, againStream.Reused);
        Assert.Single(againStream.Members);

        // A vanished blob: every chunk is compressed again, the output still the same.
        File.Delete(path);
        var (third, thirdStream) = Gzip(data, cache);
        Assert.Equal(gz, third);
        Assert.Equal(0, thirdStream.Reused);
    }

    [Fact]
    public async Task A_layer_written_again_after_one_file_changed_reuses_the_others_members()
    {
        using var tmp = new TempDirectory("snap-gzmc-layer");
        var blobs = new TestBlobStore(tmp.Combine("blobs"));
        var cache = new GzipMemberCache(tmp.Combine("members"), d => Path.Combine(tmp.Combine("blobs"), d.Encoded));
        var options = new LayerWriteOptions { MemberCache = cache, SourceDateEpoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000) };
        var files = Enumerable.Range(0, 400).Select(i => tmp.WriteFile($"ctx/f{i:D4}.txt", System.Text.Encoding.ASCII.GetString(Text(16 * 1024, 100 + i)))).ToList();

        async Task<LayerResult> WriteAsync()
        {
            var w = new LayerWriter(options);
            for (var i = 0; i < files.Count; i++)
            {
                w.AddFile($"src/f{i:D4}.txt", files[i]);
            }

            var layer = await w.WriteAsync(blobs, tmp.Combine("tmp"), Ct);
            cache.Record(layer);
            return layer;
        }

        var first = await WriteAsync();
        Assert.Equal(0, first.ReusedMembers);
        await File.AppendAllTextAsync(files[200], "// edited\n", Ct);
        var second = await WriteAsync();
        Assert.True(second.ReusedMembers >= 3, $"a 6.4 MB layer with one edited file should reuse most of its ~6 members, got {second.ReusedMembers}");

        var plain = new LayerWriter(options with { MemberCache = null });
        for (var i = 0; i < files.Count; i++)
        {
            plain.AddFile($"src/f{i:D4}.txt", files[i]);
        }

        var expected = await plain.WriteAsync(Stream.Null, Ct);
        Assert.Equal(expected.Digest, second.Digest);
        Assert.Equal(expected.DiffId, second.DiffId);
    }
}
