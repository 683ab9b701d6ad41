// Owns: tests of the blob store: verified, read-only, atomic writes that leave nothing behind on mismatch.
using System.Security.Cryptography;
using System.Text;
using Gantry.Oci;

namespace Gantry.Content.Tests;

public sealed class BlobStoreTests
{
    [Fact]
    public async Task Write_stores_a_verified_read_only_blob()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var bytes = Encoding.UTF8.GetBytes("hello gantry");
        var digest = await store.Blobs.WriteAsync(bytes, ct);
        Assert.Equal(Digest.Compute(bytes), digest);
        Assert.True(await store.Blobs.ExistsAsync(digest, ct));
        Assert.Equal(bytes.Length, await store.Blobs.GetSizeAsync(digest, ct));
        var path = Path.Combine(tmp.FullPath, "content", "blobs", "sha256", digest.Encoded);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        Assert.Equal(bytes, await store.Blobs.ReadAllBytesAsync(digest, ct));
        Assert.Equal("{\"imageLayoutVersion\":\"1.0.0\"}", File.ReadAllText(Path.Combine(tmp.FullPath, "content", "oci-layout")));

        // Writing again is a no-op.
        await store.Blobs.WriteAsync(Descriptor.For(MediaTypes.OciLayer, bytes), new MemoryStream(bytes), ct);
        Assert.Single(StoreFixture.BlobFiles(store));
    }

    [Fact]
    public async Task Digest_mismatch_stores_nothing()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var expected = Descriptor.For(MediaTypes.OciLayer, "right"u8);
        var ex = await Assert.ThrowsAsync<DigestMismatchException>(() => store.Blobs.WriteAsync(expected with { Size = 5 }, new MemoryStream("wrong"u8.ToArray()), ct));
        Assert.Contains(expected.Digest.ToString(), ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<DigestMismatchException>(() => store.Blobs.WriteAsync(expected, new MemoryStream("righ"u8.ToArray()), ct));
        await Assert.ThrowsAsync<DigestMismatchException>(() => store.Blobs.WriteAsync(expected, new MemoryStream("rightt"u8.ToArray()), ct));
        Assert.Empty(StoreFixture.BlobFiles(store));
        Assert.Empty(Directory.GetFiles(store.Blobs.IngestDirectory));
    }

    [Fact]
    public async Task Streamed_write_computes_the_digest()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var d = await store.Blobs.WriteAsync(MediaTypes.OciLayerGzip, async (sink, token) =>
        {
            await sink.WriteAsync("abc"u8.ToArray(), token);
            var digesting = Assert.IsAssignableFrom<Gantry.Oci.IO.IDigestingStream>(sink);
            Assert.Equal(Digest.Compute("abc"u8), digesting.CurrentDigest);
            await sink.WriteAsync("def"u8.ToArray(), token);
            Assert.Equal(Digest.Compute("abcdef"u8), digesting.CurrentDigest); // reading it does not end the hash
            Assert.Equal(6, digesting.Written);
        }, ct);
        Assert.Equal(Digest.Compute("abcdef"u8), d.Digest);
        Assert.Equal(6, d.Size);
        Assert.Equal(MediaTypes.OciLayerGzip, d.MediaType);
    }

    [Fact]
    public async Task A_failing_producer_leaves_nothing()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.Blobs.WriteAsync(MediaTypes.OciLayer, async (sink, token) =>
        {
            await sink.WriteAsync(new byte[100_000], token);
            throw new InvalidOperationException("boom");
        }, ct));
        Assert.Empty(StoreFixture.BlobFiles(store));
        Assert.Empty(Directory.GetFiles(store.Blobs.IngestDirectory));
    }

    [Fact]
    public async Task Missing_blob_is_a_clear_error()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var missing = Digest.Compute("nope"u8);
        var ex = await Assert.ThrowsAsync<ContentNotFoundException>(async () => await store.Blobs.OpenReadAsync(missing, TestContext.Current.CancellationToken));
        Assert.Contains(missing.ToString(), ex.Message, StringComparison.Ordinal);
    }

    // Blobs of 1 MiB and more, and streamed blobs of unknown size, are written with O_DIRECT in 1 MiB aligned buffers
    // (the tail padded, then the file cut back): these sizes sit on either side of a block and of a buffer.
    [Theory]
    [InlineData(1 << 20)]
    [InlineData((1 << 20) + 1)]
    [InlineData((2 << 20) - 1)]
    [InlineData(2 << 20)]
    [InlineData((3 << 20) + 4097)]
    public async Task Large_blob_round_trips_byte_for_byte(int size)
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var bytes = RandomNumberGenerator.GetBytes(size);
        var expected = Descriptor.For(MediaTypes.OciLayerGzip, bytes);
        await store.Blobs.WriteAsync(expected, new MemoryStream(bytes), ct);
        var path = store.Blobs.BlobPath(expected.Digest);
        Assert.Equal(size, new FileInfo(path).Length);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path, ct));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        Assert.Empty(Directory.GetFiles(store.Blobs.IngestDirectory));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(1 << 20)]
    [InlineData((1 << 20) + 5000)]
    [InlineData(5_000_000)]
    public async Task Streamed_blob_round_trips_whatever_the_write_sizes(int size)
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var bytes = RandomNumberGenerator.GetBytes(size);
        var random = new Random(size);
        var descriptor = await store.Blobs.WriteAsync(MediaTypes.OciLayerGzip, async (sink, token) =>
        {
            var at = 0;
            var sync = false;
            while (at < bytes.Length)
            {
                var n = Math.Min(bytes.Length - at, random.Next(1, 300_000));
                if (sync)
                {
                    sink.Write(bytes, at, n);
                }
                else
                {
                    await sink.WriteAsync(bytes.AsMemory(at, n), token);
                }

                sync = !sync;
                at += n;
            }
        }, ct);
        Assert.Equal(Digest.Compute(bytes), descriptor.Digest);
        Assert.Equal(size, descriptor.Size);
        Assert.Equal(bytes, await store.Blobs.ReadAllBytesAsync(descriptor.Digest, ct));
    }

    [Fact]
    public async Task Large_blob_with_the_wrong_digest_or_size_stores_nothing()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var bytes = RandomNumberGenerator.GetBytes((2 << 20) + 123);
        var expected = Descriptor.For(MediaTypes.OciLayerGzip, bytes);
        var wrong = (byte[])bytes.Clone();
        wrong[1 << 20] ^= 1;
        var ex = await Assert.ThrowsAsync<DigestMismatchException>(() => store.Blobs.WriteAsync(expected, new MemoryStream(wrong), ct));
        Assert.Contains(expected.Digest.ToString(), ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<DigestMismatchException>(() => store.Blobs.WriteAsync(expected, new MemoryStream(bytes, 0, bytes.Length - 1), ct));
        Assert.Empty(StoreFixture.BlobFiles(store));
        Assert.Empty(Directory.GetFiles(store.Blobs.IngestDirectory));
    }
}
