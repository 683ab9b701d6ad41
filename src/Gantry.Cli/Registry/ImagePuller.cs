// Owns: pulling a reference into the local content store, unpacking its layers into the snapshot store and naming it, with docker's pull output. Called by pull, run and build.
using Gantry.Content;
using Gantry.Oci;
using Gantry.Reference;
using Gantry.Registry.Client;
using Gantry.Snapshots;

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
        var storeRoot = Path.GetDirectoryName(store.ContentDirectory)!;
        settings ??= new RegistrySettings(storeRoot: storeRoot);
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

            // Layers are unpacked into the snapshot store as they download (as docker and podman do after the pull; checked
            // against the config's diff IDs), so the first run or build step mounts at once. Held until the image is named,
            // so a concurrent prune cannot remove the new layer dirs.
            var snapshots = new SnapshotStore(storeRoot, store.Blobs);
            using var hold = await snapshots.HoldAsync(cancellationToken).ConfigureAwait(false);
            var tap = new SnapshotLayerTap(snapshots);
            var printer = new TransferPrinter(progressOut, push: false, quiet);
            var engine = new PullEngine(store.Blobs, settings.Options, settings.Sources, tap);
            var pulled = await printer.RunAsync(() => engine.PullAsync(sources, reference.Path, reference.Digest?.ToString() ?? reference.Tag!, platform, printer, cancellationToken)).ConfigureAwait(false);
            var rootBytes = await store.Blobs.ReadAllBytesAsync(pulled.Root.Digest, cancellationToken).ConfigureAwait(false);
            var names = new List<ImageReference> { reference };
            if (reference.Digest is null)
            {
                names.Add(reference.WithoutTagOrDigest().WithDigest(pulled.Root.Digest));
            }

            // Before naming: layers the download did not unpack (blob already stored, snapshot missing) are unpacked now. That
            // one decompression also gives each layer's diff ID and uncompressed size, which `images`, `image inspect`,
            // `history` and `system df` show; layers not unpacked here (already unpacked, or no overlayfs) are measured once instead.
            foreach (var (blob, (diffId, size)) in tap.Unpacked)
            {
                await store.RecordLayerInfoAsync(blob, diffId, size, cancellationToken).ConfigureAwait(false);
            }

            var unnamed = await store.LoadImageAsync(pulled.Root, [], cancellationToken).ConfigureAwait(false);
            await UnpackAsync(store, snapshots, unnamed, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Unpacks the image's layers that are not unpacked yet and records the uncompressed sizes measured doing it.</summary>
    private static async Task UnpackAsync(ImageStore store, SnapshotStore snapshots, Image image, CancellationToken cancellationToken)
    {
        var diffIds = image.Config.RootFs.DiffIds;
        if (diffIds.Count != image.Layers.Count)
        {
            throw new GantryException($"the pulled image {image.Id} is inconsistent: {image.Layers.Count} layers but {diffIds.Count} diff IDs in its config");
        }

        var layers = image.Layers.Select((l, i) => new SnapshotLayer(l, diffIds[i])).ToList();
        var sizes = await snapshots.UnpackLayersAsync(layers, cancellationToken).ConfigureAwait(false);
        foreach (var layer in layers)
        {
            if (sizes.TryGetValue(layer.Blob.Digest, out var size))
            {
                await store.RecordLayerInfoAsync(layer.Blob.Digest, layer.DiffId, size, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
