// Owns: pulling a reference into the local content store and naming it, with docker's pull output. Called by pull, run and build.
using Gantry.Content;
using Gantry.Oci;
using Gantry.Reference;
using Gantry.Registry.Client;

namespace Gantry.Cli.Registry;

/// <summary>
/// <code>Image image = await ImagePuller.PullAsync(store, ImageReference.ParseWithDefaultTag("busybox"), null, Console.Out, ct);</code>
/// Pulls into <paramref>store</paramref> (mirrors first for docker.io, per the gantry config), verifies every blob, then names
/// the image <c>NAME:TAG</c> (and <c>NAME@DIGEST</c>) — only after everything is stored. Prints docker's lines to the writer.
/// </summary>
public static class ImagePuller
{
    public static Task<Image> PullAsync(ImageStore store, ImageReference reference, Platform? platform, TextWriter progressOut, CancellationToken cancellationToken) =>
        PullAsync(store, reference, platform, progressOut, quiet: false, settings: null, cancellationToken);

    public static async Task<Image> PullAsync(ImageStore store, ImageReference reference, Platform? platform, TextWriter progressOut, bool quiet,
        RegistrySettings? settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(progressOut);
        reference = reference.ToDockerRef();
        settings ??= new RegistrySettings(storeRoot: Path.GetDirectoryName(store.ContentDirectory));
        var before = await store.FindByNameAsync(reference, cancellationToken).ConfigureAwait(false);
        var label = reference.Tag ?? reference.Digest!.Value.ToString();
        if (!quiet)
        {
            progressOut.WriteLine($"{label}: Pulling from {reference.Path}");
        }

        var sources = settings.PullSourcesFor(reference);
        try
        {
            using var lease = await store.AcquireLeaseAsync(cancellationToken).ConfigureAwait(false);
            var printer = new TransferPrinter(progressOut, push: false, quiet);
            var engine = new PullEngine(store.Blobs, settings.Options, settings.Sources);
            var pulled = await printer.RunAsync(() => engine.PullAsync(sources, reference.Path, reference.Digest?.ToString() ?? reference.Tag!, platform, printer, cancellationToken)).ConfigureAwait(false);
            var rootBytes = await store.Blobs.ReadAllBytesAsync(pulled.Root.Digest, cancellationToken).ConfigureAwait(false);
            var names = new List<ImageReference> { reference };
            if (reference.Digest is null)
            {
                names.Add(reference.WithoutTagOrDigest().WithDigest(pulled.Root.Digest));
            }

            // Before naming: each new layer is decompressed once (gzip or zstd) to record its diff ID and uncompressed size,
            // which `images`, `image inspect`, `history` and `system df` show; layers already recorded are not read again.
            var unnamed = await store.LoadImageAsync(pulled.Root, [], cancellationToken).ConfigureAwait(false);
            await store.GetLayerInfoAsync(unnamed, cancellationToken).ConfigureAwait(false);
            var image = await store.StoreManifestAsync(rootBytes, names, cancellationToken).ConfigureAwait(false);
            if (!quiet)
            {
                progressOut.WriteLine($"Digest: {pulled.Root.Digest}");
                var same = before is not null && before.Target.Digest == pulled.Root.Digest;
                progressOut.WriteLine(same
                    ? $"Status: Image is up to date for {reference.FamiliarString}"
                    : $"Status: Downloaded newer image for {reference.FamiliarString}");
            }

            return image;
        }
        finally
        {
            foreach (var client in sources)
            {
                client.Dispose();
            }
        }
    }
}
