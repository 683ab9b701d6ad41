// Owns: `docker import`: a root filesystem tar (plain or gzip) becomes a one-layer image with a gzip layer and a fresh config.
using System.IO.Compression;
using Gantry.Oci;
using Gantry.Oci.IO;
using Gantry.Reference;

namespace Gantry.Content.Archives;

/// <summary>Imports a rootfs tarball as a single-layer image, streaming it (validated as tar) into a gzip blob.</summary>
public static class ImageImporter
{
    /// <param name="store">The store to add the image to.</param>
    /// <param name="input">The tar, plain or gzip-compressed (detected from its first bytes).</param>
    /// <param name="source">How to name the input in messages and history ("-" for stdin, else the path).</param>
    /// <param name="name">The name to give the image, or null for a dangling image.</param>
    /// <param name="changes">docker --change instructions.</param>
    /// <param name="message">The history comment (docker -m); default "Imported from SOURCE".</param>
    /// <param name="platform">The platform to record; default this machine's.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is named then.</param>
    public static async Task<Image> ImportAsync(ImageStore store, Stream input, string source, ImageReference? name,
        IReadOnlyList<string>? changes = null, string? message = null, Platform? platform = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(input);
        var config = changes is { Count: > 0 } ? ConfigChanges.Apply(null, changes) : null;
        var what = source == "-" ? "the import input (stdin)" : $"'{source}'";
        using var lease = await store.AcquireLeaseAsync(cancellationToken).ConfigureAwait(false);
        var checker = new TarChecker(what);
        using var diffHasher = Digest.CreateHasher(Digest.Sha256);
        var buffered = new BufferedStream(input, 1 << 16);
        var head = new byte[2];
        var got = await ReadAtLeastAsync(buffered, head, cancellationToken).ConfigureAwait(false);
        var prefix = head.AsMemory(0, got);
        Stream tar = got == 2 && head[0] == 0x1f && head[1] == 0x8b
            ? new GZipStream(new PrefixedStream(prefix, buffered), CompressionMode.Decompress)
            : new PrefixedStream(prefix, buffered);
        Descriptor layer;
        long uncompressedSize = 0;
        try
        {
            layer = await store.Blobs.WriteAsync(MediaTypes.OciLayerGzip, async (sink, ct) =>
            {
                await using var gzip = new GZipStream(sink, CompressionLevel.Fastest, leaveOpen: true);
                var buffer = new byte[1 << 16];
                int n;
                while ((n = await tar.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    checker.Feed(buffer.AsSpan(0, n));
                    diffHasher.AppendData(buffer, 0, n);
                    uncompressedSize += n;
                    await gzip.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }

                checker.Complete();
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw new GantryException($"{what} is not a valid gzip stream ({ex.Message}): check the file is complete", ex);
        }
        finally
        {
            await tar.DisposeAsync().ConfigureAwait(false);
        }

        var diffId = Digest.FromHash(Digest.Sha256, diffHasher.GetHashAndReset());
        await store.RecordLayerInfoAsync(layer.Digest, diffId, uncompressedSize, cancellationToken).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        var p = platform ?? Platform.Current;
        var imageConfig = new ImageConfig
        {
            Created = now,
            Architecture = p.Architecture,
            Os = p.Os,
            Variant = p.Variant,
            Config = config,
            RootFs = new RootFs { Type = "layers", DiffIds = [diffId] },
            History = [new HistoryEntry { Created = now, Comment = message ?? $"Imported from {source}" }],
        };
        return await store.CreateImageAsync(imageConfig, [layer], name is null ? [] : [name], cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> ReadAtLeastAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
