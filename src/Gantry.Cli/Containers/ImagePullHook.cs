// Owns: the seam between `gantry run`/`create` and the registry client's image puller (pulls a missing image into the store).
using Gantry.Cli.Registry;
using Gantry.Content;
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Cli.Containers;

internal static class ImagePullHook
{
    /// <summary>Pulls <paramref name="name"/> into <paramref name="store"/>, printing progress to stderr as docker run does.</summary>
    public static async Task<Image?> PullAsync(ImageStore store, string name, CancellationToken cancellationToken)
    {
        var reference = ImageReference.ParseWithDefaultTag(name);
        try
        {
            return await ImagePuller.PullAsync(store, reference, null, Console.Error, cancellationToken).ConfigureAwait(false);
        }
        catch (GantryException ex) when (ex.ExitCode == 1)
        {
            throw new GantryException(ex.Message, ex) { ExitCode = 125 };
        }
    }
}
