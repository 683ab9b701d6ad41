// Owns: re-encoding a stored layer blob in another compression (gzip/zstd) for a push, verified against its diffID and cached in the store.
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using Gantry.Oci;
using Gantry.Oci.IO;

namespace Gantry.Registry.Client.Recompression;

/// <summary>
/// Turns a stored layer into the same tar in another compression and stores the result as a blob of its own, so the next
/// push of it finds it ready. The uncompressed bytes are hashed on the way through and must equal the layer's diffID
/// (when given), so a recompressed layer never changes the image. <paramref name="cacheDirectory"/> (e.g.
/// <c>$ROOT/registry-client/recompressed</c>) remembers, per source layer, format and level, which blob holds the result;
/// null keeps no memory (every push recompresses).
/// </summary>
public sealed class LayerRecompressor(IBlobStore store, string? cacheDirectory)
{
    private readonly IBlobStore _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>How many layers this instance really re-encoded (cache hits excluded).</summary>
    public int Recompressed => Volatile.Read(ref _recompressed);

    private int _recompressed;

    /// <summary>
    /// Returns the descriptor (media type <paramref name="mediaType"/>) of <paramref name="layer"/> compressed with
    /// <paramref name="target"/>: from the cache when the blob is still stored, else re-encoded now and stored.
    /// </summary>
    public async Task<(Descriptor Layer, bool Reused)> RecompressAsync(Descriptor layer, Digest? diffId, Oci.Compression target, int? level,
        string mediaType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(mediaType);
        var key = $"{layer.Digest.Algorithm}-{layer.Digest.Encoded}.{target.ToString().ToLowerInvariant()}-{(level?.ToString(CultureInfo.InvariantCulture) ?? "default")}";
        if (await ReadCacheAsync(key, cancellationToken).ConfigureAwait(false) is { } cached)
        {
            return (Describe(layer, mediaType, cached.Digest, cached.Size), true);
        }

        var workDirectory = cacheDirectory ?? Path.GetTempPath();
        Directory.CreateDirectory(workDirectory);
        var temp = Path.Combine(workDirectory, $".tmp-{Guid.NewGuid():N}");
        try
        {
            Digest digest;
            long size;
            var source = await _store.OpenReadAsync(layer.Digest, cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                var verified = new VerifyingStream(source, layer.Digest, layer.Size, $"stored layer {layer.Digest}", leaveOpen: true);
                await using (verified.ConfigureAwait(false))
                {
                    var decompressed = await OpenDecompressedAsync(verified, cancellationToken).ConfigureAwait(false);
                    await using (decompressed.ConfigureAwait(false))
                    {
                        (digest, size) = await EncodeAsync(decompressed, temp, diffId, target, level, layer, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            var result = Describe(layer, mediaType, digest, size);
            var file = File.OpenRead(temp);
            await using (file.ConfigureAwait(false))
            {
                await _store.WriteAsync(result with { MediaType = mediaType }, file, cancellationToken).ConfigureAwait(false);
            }

            await WriteCacheAsync(key, digest, size, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _recompressed);
            return (result, false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static Descriptor Describe(Descriptor layer, string mediaType, Digest digest, long size) => new()
    {
        MediaType = mediaType,
        Digest = digest,
        Size = size,
        Annotations = layer.Annotations,
    };

    /// <summary>Sniffs gzip/zstd magic (media types sometimes lie) and returns the uncompressed tar stream.</summary>
    private static async Task<Stream> OpenDecompressedAsync(Stream input, CancellationToken cancellationToken)
    {
        var prefix = new byte[4];
        var n = await input.ReadAtLeastAsync(prefix, prefix.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var whole = new PrefixedStream(prefix.AsMemory(0, n), input, leaveOpen: true);
        if (n >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b)
        {
            return new GZipStream(whole, CompressionMode.Decompress, leaveOpen: false);
        }

        if (n >= 4 && prefix[0] == 0x28 && prefix[1] == 0xb5 && prefix[2] == 0x2f && prefix[3] == 0xfd)
        {
            return new ZstdSharp.DecompressionStream(whole, leaveOpen: false);
        }

        return whole;
    }

    private static async Task<(Digest Digest, long Size)> EncodeAsync(Stream tar, string path, Digest? diffId, Oci.Compression target, int? level, Descriptor layer,
        CancellationToken cancellationToken)
    {
        using var diffHasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1024 * 1024, useAsync: true);
        var hashing = new HashingWriteStream(output);
        await using (output.ConfigureAwait(false))
        {
            var encoder = target switch
            {
                Oci.Compression.Gzip => (Stream)new GZipStream(hashing, new ZLibCompressionOptions { CompressionLevel = level ?? 6 }, leaveOpen: true),
                Oci.Compression.Zstd => new ZstdSharp.CompressionStream(hashing, level ?? 3, leaveOpen: true),
                _ => throw new ArgumentOutOfRangeException(nameof(target), target, "only gzip and zstd are written"),
            };
            await using (encoder.ConfigureAwait(false))
            {
                var buffer = new byte[1024 * 1024];
                int read;
                while ((read = await tar.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    diffHasher.AppendData(buffer, 0, read);
                    await encoder.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }

            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        var actual = Digest.FromHash(Digest.Sha256, diffHasher.GetHashAndReset());
        if (diffId is { IsDefault: false } expected && expected.Algorithm == Digest.Sha256 && expected != actual)
        {
            throw new DigestMismatchException(
                $"layer {layer.Digest} uncompresses to {actual}, not the diffID {expected} its image config names: the stored layer is damaged; pull or rebuild the image before pushing it");
        }

        return (hashing.Digest, hashing.Length);
    }

    private async Task<(Digest Digest, long Size)?> ReadCacheAsync(string key, CancellationToken cancellationToken)
    {
        if (cacheDirectory is null)
        {
            return null;
        }

        string text;
        try
        {
            text = await File.ReadAllTextAsync(Path.Combine(cacheDirectory, key), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !Digest.TryParse(parts[0], out var digest) || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            return null;
        }

        // The store may have collected the blob since (image prune): then it is made again.
        return await _store.GetSizeAsync(digest, cancellationToken).ConfigureAwait(false) == size ? (digest, size) : null;
    }

    private async Task WriteCacheAsync(string key, Digest digest, long size, CancellationToken cancellationToken)
    {
        if (cacheDirectory is null)
        {
            return;
        }

        Directory.CreateDirectory(cacheDirectory);
        var path = Path.Combine(cacheDirectory, key);
        var temp = path + $".tmp-{Guid.NewGuid():N}";
        await File.WriteAllTextAsync(temp, $"{digest} {size.ToString(CultureInfo.InvariantCulture)}\n", cancellationToken).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Passes writes through to a stream while hashing (sha256) and counting them.</summary>
    private sealed class HashingWriteStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _length;

        public Digest Digest => Digest.FromHash(Digest.Sha256, _hash.GetCurrentHash());

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            _length += buffer.Length;
            inner.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _hash.AppendData(buffer.Span);
            _length += buffer.Length;
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
