// Owns: pushing a locally named image to its registry with docker's push output.
using Gantry.Content;
using Gantry.Reference;
using Gantry.Registry.Client;
using Gantry.Registry.Client.Recompression;

namespace Gantry.Cli.Registry;

/// <summary>
/// <code>PushResult r = await ImagePusher.PushAsync(store, ImageReference.ParseWithDefaultTag("127.0.0.1:5000/me/app:v1"), Console.Out, ct);</code>
/// Pushes what the local name points to (manifest or index, byte for byte) to the registry the name names. With a
/// <see cref="PushCompression"/> (--compression-format), layers are re-encoded first; the re-encoded blobs stay in the store
/// and <c>$ROOT/registry-client/recompressed</c> remembers them, so the next push sends them without recompressing.
/// </summary>
public static class ImagePusher
{
    public static Task<PushResult> PushAsync(ImageStore store, ImageReference reference, TextWriter progressOut, CancellationToken cancellationToken) =>
        PushAsync(store, reference, progressOut, quiet: false, settings: null, cancellationToken);

    public static Task<PushResult> PushAsync(ImageStore store, ImageReference reference, TextWriter progressOut, bool quiet, RegistrySettings? settings,
        CancellationToken cancellationToken) =>
        PushAsync(store, reference, progressOut, quiet, settings, compression: null, cancellationToken);

    public static async Task<PushResult> PushAsync(ImageStore store, ImageReference reference, TextWriter progressOut, bool quiet, RegistrySettings? settings,
        PushCompression? compression, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(progressOut);
        reference = reference.WithDefaultTag();
        settings ??= new RegistrySettings(storeRoot: Path.GetDirectoryName(store.ContentDirectory));
        var image = await store.FindByNameAsync(reference, cancellationToken).ConfigureAwait(false)
            ?? throw new Gantry.Oci.ContentNotFoundException($"An image does not exist locally with the tag: {reference.FamiliarName}{(reference.Tag is null ? string.Empty : ":" + reference.Tag)}");
        if (!quiet)
        {
            progressOut.WriteLine($"The push refers to repository [{reference.WithoutTagOrDigest().Name}]");
        }

        using var client = settings.ClientFor(reference);
        var printer = new TransferPrinter(progressOut, push: true, quiet);
        var root = Path.GetDirectoryName(store.ContentDirectory) ?? store.ContentDirectory;
        var recompressor = compression is null ? null : new LayerRecompressor(store.Blobs, Path.Combine(root, "registry-client", "recompressed"));
        var engine = new PushEngine(store.Blobs, settings.Options, settings.Sources, compression, recompressor);

        // Recompressed blobs are stored before anything names them: hold off GC until the push is done.
        using var lease = compression is null ? null : await store.AcquireLeaseAsync(cancellationToken).ConfigureAwait(false);
        var result = await printer.RunAsync(() => engine.PushAsync(client, reference.Path, image.Target, reference.Tag, printer, cancellationToken)).ConfigureAwait(false);
        if (!quiet)
        {
            progressOut.WriteLine($"{reference.Tag ?? reference.Digest?.ToString()}: digest: {result.Digest} size: {result.Size}");
        }

        return result;
    }
}
