// Owns: layer metadata beside the layout (content/layerinfo/: blob → diff ID + uncompressed size), measuring layers, image sizes.
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using Gantry.Oci;
using Gantry.Oci.IO;

namespace Gantry.Content;

public sealed partial class ImageStore
{
    private readonly ConcurrentDictionary<Digest, LayerInfo> _layerInfos = new();

    /// <summary>
    /// <c>content/layerinfo/ALG/HEX</c>: one small JSON file per layer blob, <c>{"diffID":"sha256:…","size":N}</c>, written
    /// atomically under <c>layerinfo.lock</c>. Never inside <c>blobs/</c>; GC removes a record with its blob.
    /// </summary>
    public string LayerInfoDirectory => Path.Combine(ContentDirectory, "layerinfo");

    private string LayerInfoLockPath => Path.Combine(ContentDirectory, "layerinfo.lock");

    private string LayerInfoPath(Digest blob) => Path.Combine(LayerInfoDirectory, blob.Algorithm, blob.Encoded);

    /// <summary>
    /// Records that layer blob <paramref name="blob"/> decompresses to a tar of <paramref name="uncompressedSize"/> bytes whose
    /// digest is <paramref name="diffId"/>. Call it where the size is known anyway (import, load, pull). Idempotent.
    /// </summary>
    public async Task RecordLayerInfoAsync(Digest blob, Digest diffId, long uncompressedSize, CancellationToken cancellationToken = default)
    {
        if (blob.IsDefault || diffId.IsDefault)
        {
            throw new ArgumentException("the blob digest and diff ID must be set", nameof(blob));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(uncompressedSize);
        var info = new LayerInfo(blob, diffId, uncompressedSize);
        if (_layerInfos.TryGetValue(blob, out var known) && known == info)
        {
            return;
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(new LayerInfoFile { DiffId = diffId.ToString(), Size = uncompressedSize }, LayerInfoJsonContext.Default.LayerInfoFile);
        var path = LayerInfoPath(blob);
        using (await FileLock.AcquireAsync(LayerInfoLockPath, exclusive: true, cancellationToken).ConfigureAwait(false))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.WriteAllBytes(path, bytes);
        }

        _layerInfos[blob] = info;
    }

    /// <summary>The recorded metadata of a layer blob, or null when none is recorded (nothing is computed).</summary>
    public LayerInfo? TryGetRecordedLayerInfo(Digest blob)
    {
        if (_layerInfos.TryGetValue(blob, out var cached))
        {
            return cached;
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(LayerInfoPath(blob));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            var file = JsonSerializer.Deserialize(bytes, LayerInfoJsonContext.Default.LayerInfoFile);
            if (file is null || file.Size < 0 || !Digest.TryParse(file.DiffId, out var diffId))
            {
                return null; // unreadable: recomputed and rewritten by GetLayerInfoAsync
            }

            var info = new LayerInfo(blob, diffId, file.Size);
            _layerInfos[blob] = info;
            return info;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// A layer's diff ID and uncompressed size: the record if there is one; an uncompressed layer's own digest and size;
    /// otherwise computed once by streaming the blob through its decompressor (gzip or zstd) and recorded. Null when the
    /// blob is not in the store (e.g. a non-distributable layer). Throws <see cref="GantryException"/> for a corrupt blob.
    /// </summary>
    public async Task<LayerInfo?> GetLayerInfoAsync(Descriptor layer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (TryGetRecordedLayerInfo(layer.Digest) is { } recorded)
        {
            return recorded;
        }

        Stream blob;
        try
        {
            blob = await Blobs.OpenReadAsync(layer.Digest, cancellationToken).ConfigureAwait(false);
        }
        catch (ContentNotFoundException)
        {
            return null;
        }

        (Digest DiffId, long Size) measured;
        await using (blob.ConfigureAwait(false))
        {
            measured = await MeasureLayerAsync(blob, $"layer {layer.Digest}", cancellationToken).ConfigureAwait(false);
        }

        await RecordLayerInfoAsync(layer.Digest, measured.DiffId, measured.Size, cancellationToken).ConfigureAwait(false);
        return new LayerInfo(layer.Digest, measured.DiffId, measured.Size);
    }

    /// <summary>Per layer of <paramref name="image"/> (bottom first) its <see cref="GetLayerInfoAsync(Descriptor, CancellationToken)"/>, null for a layer not in the store.</summary>
    public async Task<IReadOnlyList<LayerInfo?>> GetLayerInfoAsync(Image image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var result = new List<LayerInfo?>(image.Layers.Count);
        foreach (var layer in image.Layers)
        {
            result.Add(await GetLayerInfoAsync(layer, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    /// <summary>
    /// docker's image Size: the sum of the uncompressed (tar) sizes of the image's layers. A layer that is not stored
    /// or cannot be read counts with its descriptor size.
    /// </summary>
    public async Task<long> GetImageSizeAsync(Image image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        long total = 0;
        foreach (var layer in image.Layers)
        {
            total += await UncompressedSizeAsync(layer, cancellationToken).ConfigureAwait(false);
        }

        return total;
    }

    /// <summary>A layer's uncompressed size, falling back to its descriptor size when it is missing or unreadable.</summary>
    internal async Task<long> UncompressedSizeAsync(Descriptor layer, CancellationToken cancellationToken)
    {
        try
        {
            return (await GetLayerInfoAsync(layer, cancellationToken).ConfigureAwait(false))?.UncompressedSize ?? layer.Size;
        }
        catch (GantryException)
        {
            return layer.Size;
        }
    }

    /// <summary>
    /// Reads a layer (plain tar, gzip or zstd, detected from its first bytes) to its end and returns the digest and length
    /// of the uncompressed stream: its diff ID and uncompressed size.
    /// </summary>
    public static async Task<(Digest DiffId, long Size)> MeasureLayerAsync(Stream layer, string what, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var head = new byte[4];
        var got = 0;
        while (got < head.Length)
        {
            var n = await layer.ReadAsync(head.AsMemory(got), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            got += n;
        }

        var prefixed = new PrefixedStream(head.AsMemory(0, got), layer, leaveOpen: true);
        Stream tar = got >= 2 && head[0] == 0x1f && head[1] == 0x8b ? new GZipStream(prefixed, CompressionMode.Decompress)
            : got >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd ? new ZstdSharp.DecompressionStream(prefixed)
            : prefixed;
        await using (tar.ConfigureAwait(false))
        {
            using var hasher = Digest.CreateHasher(Digest.Sha256);
            var buffer = new byte[1 << 16];
            long size = 0;
            try
            {
                int n;
                while ((n = await tar.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hasher.AppendData(buffer, 0, n);
                    size += n;
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or ZstdSharp.ZstdException or EndOfStreamException)
            {
                throw new GantryException($"{what} is not a valid {(tar is GZipStream ? "gzip" : "zstd")} stream ({ex.Message}): the data is corrupt or truncated; fetch it again", ex);
            }

            return (Digest.FromHash(Digest.Sha256, hasher.GetHashAndReset()), size);
        }
    }

    /// <summary>Deletes the layer records of <paramref name="removed"/> blobs, and (when null) every record whose blob is gone.</summary>
    private void SweepLayerInfo(IReadOnlyCollection<Digest>? removed)
    {
        if (!Directory.Exists(LayerInfoDirectory))
        {
            return;
        }

        using var gate = FileLock.Acquire(LayerInfoLockPath, exclusive: true);
        if (removed is not null)
        {
            foreach (var digest in removed)
            {
                AtomicFile.TryDelete(LayerInfoPath(digest));
                _layerInfos.TryRemove(digest, out _);
            }

            return;
        }

        foreach (var algDir in Directory.EnumerateDirectories(LayerInfoDirectory))
        {
            foreach (var file in Directory.EnumerateFiles(algDir))
            {
                var name = Path.GetFileName(file);
                if (name.StartsWith('.'))
                {
                    AtomicFile.TryDelete(file); // a temp file left by a crash
                    continue;
                }

                if (!Digest.TryParse($"{Path.GetFileName(algDir)}:{name}", out var digest) || !File.Exists(Blobs.BlobPath(digest)))
                {
                    AtomicFile.TryDelete(file);
                    _layerInfos.TryRemove(digest, out _);
                }
            }
        }
    }
}
