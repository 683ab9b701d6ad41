// Owns: wiring the builder's IBaseImageProvider to the registry client glue (Registry/RegistryBaseImageProvider → ImagePuller).
using Gantry.Build;

namespace Gantry.Cli.BuildSupport;

internal static class BaseImageProviders
{
    /// <summary>The provider `gantry build` uses to pull base images it does not have (mirrors first for docker.io).</summary>
    public static IBaseImageProvider? Create() => new Registry.RegistryBaseImageProvider();
}
