// Owns: the two-thread layer writing pipeline: tar writer + diffID hash on one core, compressor + blob hash on the other.
using Gantry.Oci;
using Gantry.Snapshots.IO;
using Gantry.Snapshots.Tar;

namespace Gantry.Snapshots;

internal static class LayerPipeline
{
    /// <summary>
    /// Runs <paramref name="produce"/> (which writes tar entries and returns how many real entries it wrote) on one thread
    /// and compresses its output into <paramref name="output"/> on another, hashing both sides in the same pass.
    /// </summary>
    public static async Task<LayerResult> WriteAsync(Stream output, LayerWriteOptions options, Func<TarWriter, CancellationToken, int> produce, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var pipe = new BoundedPipe(cancellationToken);
        Digest diffId = default;
        long uncompressed = 0;
        var entries = 0;
        var compressed = await pipe.RunAsync(
            () =>
            {
                using var hashing = new HashingStream(pipe.Writer);
                var tar = new TarWriter(hashing);
                entries = produce(tar, pipe.Token);
                tar.Finish();
                diffId = hashing.GetDigest();
                uncompressed = hashing.Count;
            },
            () =>
            {
                using var hashing = new HashingStream(output);
                using (var compressor = Compressions.OpenWrite(hashing, options.Compression, options.CompressionLevel))
                {
                    pipe.Reader.CopyTo(compressor, 256 * 1024);
                }

                hashing.Flush();
                return (Digest: hashing.GetDigest(), Size: hashing.Count);
            },
            cancellationToken).ConfigureAwait(false);

        return new LayerResult
        {
            DiffId = diffId,
            Digest = compressed.Digest,
            Size = compressed.Size,
            MediaType = options.MediaType,
            IsEmpty = entries == 0,
            UncompressedSize = uncompressed,
            Entries = entries,
        };
    }

    /// <summary>Writes the layer to a temp file under <paramref name="tempDir"/>, then stores it through <paramref name="blobs"/>
    /// (verified there against the digest computed here). Empty layers are not stored.</summary>
    public static async Task<LayerResult> WriteToStoreAsync(IBlobWriter blobs, string tempDir, Func<Stream, Task<LayerResult>> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        Directory.CreateDirectory(tempDir);
        var temp = Path.Combine(tempDir, "layer-" + Guid.NewGuid().ToString("N"));
        try
        {
            LayerResult result;
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
            await using (file.ConfigureAwait(false))
            {
                result = await write(file).ConfigureAwait(false);
                if (result.IsEmpty)
                {
                    return result;
                }

                file.Position = 0;
                await blobs.WriteAsync(result.ToDescriptor(), file, cancellationToken).ConfigureAwait(false);
            }

            return result;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>mtime in whole seconds, clamped to SOURCE_DATE_EPOCH when set.</summary>
    public static long Clamp(long seconds, LayerWriteOptions options)
    {
        if (options.SourceDateEpoch is { } epoch)
        {
            var max = epoch.ToUnixTimeSeconds();
            if (seconds > max)
            {
                return max;
            }
        }

        return seconds;
    }
}
