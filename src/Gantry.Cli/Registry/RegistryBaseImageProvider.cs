// Owns: the builder's IBaseImageProvider implemented with ImagePuller (FROM images the store does not have are pulled).
using Gantry.Build;
using Gantry.Content;
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Cli.Registry;

/// <summary>Pulls base images for `gantry build`, printing docker's pull lines to <paramref name="progressOut"/> (stderr by default).</summary>
public sealed class RegistryBaseImageProvider(TextWriter? progressOut = null) : IBaseImageProvider
{
    public async Task<Digest> PullAsync(string reference, Platform platform, string storeRoot, CancellationToken cancellationToken)
    {
        var store = ImageStore.Open(storeRoot);
        var image = await ImagePuller.PullAsync(store, ImageReference.ParseWithDefaultTag(reference), platform, progressOut ?? Console.Error, cancellationToken).ConfigureAwait(false);
        return image.Target.Digest;
    }
}
