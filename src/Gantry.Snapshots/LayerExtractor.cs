// Owns: the public entry point that unpacks one layer stream (tar, tar+gzip, tar+zstd) into a directory.
using Gantry.Oci;
using Gantry.Snapshots.IO;
using Gantry.Snapshots.Tar;

namespace Gantry.Snapshots;

/// <summary>
/// Unpacks layer tars safely: nothing is ever written outside the target directory. Entries with "..", absolute paths,
/// hard links leaving the root, or paths through a symlink an earlier entry of the same layer planted are rejected with a
/// <see cref="GantryException"/> naming the entry; symlinks that earlier layers left (flatten mode) are followed confined to
/// the root, like a chroot. Decompression and hashing run on one thread, file creation on another; no per-file fsync,
/// one syncfs(2) at the end.
/// </summary>
public static class LayerExtractor
{
    /// <summary>Unpacks <paramref name="layer"/> into <paramref name="targetDir"/> (created when missing).</summary>
    public static async Task<ExtractResult> ExtractAsync(Stream layer, string targetDir, ExtractOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentException.ThrowIfNullOrEmpty(targetDir);
        options ??= new ExtractOptions();
        var what = options.Description ?? "layer";
        Directory.CreateDirectory(targetDir);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(targetDir));

        using var pipe = new BoundedPipe(cancellationToken, chunkSize: 512 * 1024, capacity: 8);
        Digest diffId = default;
        long uncompressed = 0;
        var partial = await pipe.RunAsync(
            () =>
            {
                Stream input = layer;
                Compression compression;
                if (options.Compression is { } known)
                {
                    compression = known;
                }
                else
                {
                    input = Compressions.Sniff(layer, out compression);
                }

                using var decompressed = Compressions.OpenRead(input, compression);
                using var hashing = new HashingStream(decompressed);
                try
                {
                    hashing.CopyTo(pipe.Writer, 512 * 1024);
                }
                catch (InvalidDataException ex)
                {
                    throw new GantryException($"{what} is not valid {compression.ToString().ToLowerInvariant()} data ({ex.Message}); pull the image again to get an intact copy.", ex);
                }

                diffId = hashing.GetDigest();
                uncompressed = hashing.Count;
            },
            () =>
            {
                using var applier = new TarApplier(root, options, what);
                var reader = new TarReader(pipe.Reader, what);
                while (reader.Next() is { } header)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    applier.Apply(header, reader);
                }

                reader.Drain();
                applier.Finish();
                return new ExtractResult(default, 0, applier.Entries, applier.FileBytes);
            },
            cancellationToken).ConfigureAwait(false);

        if (options.ExpectedDiffId is { } expected && expected != diffId)
        {
            throw new DigestMismatchException($"{what}: the uncompressed layer's digest is {diffId}, but the image config says {expected}; pull the image again.");
        }

        return partial with { DiffId = diffId, UncompressedSize = uncompressed };
    }

    /// <summary>Unpacks a layer file from disk.</summary>
    public static async Task<ExtractResult> ExtractFileAsync(string layerPath, string targetDir, ExtractOptions? options = null, CancellationToken cancellationToken = default)
    {
        var stream = new FileStream(layerPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            return await ExtractAsync(stream, targetDir, options ?? new ExtractOptions { Description = layerPath }, cancellationToken).ConfigureAwait(false);
        }
    }
}
