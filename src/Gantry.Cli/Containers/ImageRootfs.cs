// Owns: resolving an image for a new container (pulling when missing) and preparing its writable rootfs snapshot.
using Gantry.Content;
using Gantry.Oci;
using Gantry.Reference;
using Gantry.Runtime.State;
using Gantry.Snapshots;

namespace Gantry.Cli.Containers;

internal static class ImageRootfs
{
    /// <summary>Finds the image in the store; with pull policy missing/always asks the registry puller (when available).</summary>
    public static async Task<Image> ResolveAsync(ImageStore store, string name, string pullPolicy, CancellationToken cancellationToken)
    {
        var policy = pullPolicy.ToLowerInvariant();
        if (policy is not ("missing" or "always" or "never"))
        {
            throw new GantryException($"invalid pull policy '{pullPolicy}': use missing, always or never") { ExitCode = 125 };
        }

        var found = policy == "always" ? null : await store.TryResolveAsync(name, cancellationToken).ConfigureAwait(false);
        if (found is not null)
        {
            return found;
        }

        string display;
        try
        {
            display = ImageReference.ParseWithDefaultTag(name).FamiliarString;
        }
        catch (GantryException)
        {
            throw new GantryException($"invalid reference format: '{name}' is not a valid image name") { ExitCode = 125 };
        }

        if (policy == "never")
        {
            throw new ContentNotFoundException($"No such image: {display}") { };
        }

        if (policy == "missing")
        {
            Console.Error.WriteLine($"Unable to find image '{display}' locally");
        }

        var pulled = await ImagePullHook.PullAsync(store, name, cancellationToken).ConfigureAwait(false);
        return pulled ?? throw new GantryException($"Unable to find image '{display}': it is not in the local store and could not be pulled (import it with 'gantry load' or 'gantry pull')") { ExitCode = 125 };
    }

    /// <summary>Prepares the container's writable snapshot (key ctr-ID) over the image's layers.</summary>
    public static async Task<RootfsMount> PrepareAsync(string storeRoot, ImageStore images, Image image, string containerId, CancellationToken cancellationToken)
    {
        var diffIds = image.Config.RootFs.DiffIds;
        if (diffIds.Count != image.Layers.Count)
        {
            throw new GantryException($"image {image.Id} is inconsistent: {image.Layers.Count} layers but {diffIds.Count} diff IDs in its config");
        }

        var layers = image.Layers.Select((l, i) => new SnapshotLayer(l, diffIds[i])).ToList();
        var snapshots = new SnapshotStore(storeRoot, images.Blobs);
        var spec = await snapshots.PrepareAsync("ctr-" + containerId, layers, cancellationToken).ConfigureAwait(false);
        return RootfsMount.From(spec);
    }

    /// <summary>
    /// Removes unpacked layers ($ROOT/snapshots/layers) that no stored image and no container uses any more, as docker frees an
    /// image's layers with the image. Waits for running builds (they hold the snapshot store's shared lock).
    /// </summary>
    public static async Task<int> PruneLayersAsync(string storeRoot, ImageStore images, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        var used = new HashSet<Digest>();
        foreach (var image in await images.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            used.UnionWith(image.Config.RootFs.DiffIds);
        }

        var removed = await new SnapshotStore(storeRoot, images.Blobs).PruneAsync(used, cancellationToken).ConfigureAwait(false);
        return removed.Count;
    }

    public static async Task RemoveSnapshotAsync(string storeRoot, ImageStore images, string key, CancellationToken cancellationToken)
    {
        var snapshots = new SnapshotStore(storeRoot, images.Blobs);
        await snapshots.RemoveAsync(key, cancellationToken).ConfigureAwait(false);
    }
}
