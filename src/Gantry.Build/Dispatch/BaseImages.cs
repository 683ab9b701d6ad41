// Owns: resolving a FROM / --from image: the local store first, else the base image provider; platform chosen from an index.
using Gantry.Content;
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Build.Dispatch;

internal static class BaseImages
{
    private static readonly SemaphoreSlim PullGate = new(1, 1);

    public static async Task<Image> ResolveAsync(BuildSession session, string name, Platform platform, string where, CancellationToken cancellationToken)
    {
        ImageReference reference;
        try
        {
            reference = ImageReference.Parse(name);
        }
        catch (GantryException ex)
        {
            throw new GantryException($"'{name}' is not a valid image name: {ex.Message}", ex);
        }

        var normalized = reference.ToDockerRef().ToString();
        Image? image = null;
        if (!session.Options.Pull)
        {
            image = await session.Store.TryResolveAsync(normalized, cancellationToken).ConfigureAwait(false);
        }

        if (image is null)
        {
            var provider = session.Options.BaseImages
                ?? throw new GantryException($"base image '{name}' is not in the local store and this build cannot pull; import or pull it first (gantry pull {name})");
            await PullGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                image = session.Options.Pull ? null : await session.Store.TryResolveAsync(normalized, cancellationToken).ConfigureAwait(false);
                if (image is null)
                {
                    session.Progress.Message($"pulling {normalized}");
                    await provider.PullAsync(normalized, platform, session.Options.StoreRoot, cancellationToken).ConfigureAwait(false);
                    image = await session.Store.ResolveAsync(normalized, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                PullGate.Release();
            }
        }

        return await SelectPlatformAsync(session.Store, image, platform, name, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Image> SelectPlatformAsync(ImageStore store, Image image, Platform platform, string name, CancellationToken cancellationToken)
    {
        if (!MediaTypes.IsIndex(image.Target.MediaType))
        {
            return image;
        }

        var bytes = await store.Blobs.ReadAllBytesAsync(image.Target.Digest, cancellationToken).ConfigureAwait(false);
        var index = OciJson.ParseIndex(bytes, $"image index of {name}");
        var match = index.Manifests.FirstOrDefault(m => m.Platform is { } p && p.Matches(platform) && MediaTypes.IsManifest(m.MediaType));
        if (match is null)
        {
            var available = string.Join(", ", index.Manifests.Where(m => m.Platform is not null).Select(m => m.Platform!.ToString()));
            throw new GantryException($"image '{name}' has no variant for {platform} (it has: {available}); pass --platform with one of those");
        }

        if (match.Digest == image.ManifestDescriptor.Digest)
        {
            return image;
        }

        if (!await store.Blobs.ExistsAsync(match.Digest, cancellationToken).ConfigureAwait(false))
        {
            throw new GantryException($"image '{name}' for {platform} is not in the local store; pull it with --platform {platform}");
        }

        return await store.LoadImageAsync(match, image.Names, cancellationToken).ConfigureAwait(false);
    }
}
