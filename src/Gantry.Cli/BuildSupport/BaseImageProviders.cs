// Owns: wiring the builder's IBaseImageProvider to the registry client glue (ImagePuller) when it is available.
using Gantry.Build;

namespace Gantry.Cli.BuildSupport;

internal static class BaseImageProviders
{
    /// <summary>
    /// The provider `gantry build` uses to pull base images it does not have; null (local store only) until the CLI's
    /// registry glue (Registry/ImagePuller) is wired in.
    /// </summary>
    public static IBaseImageProvider? Create() => null;
}
