// Owns: the kinds of RUN --mount.
namespace Gantry.Dockerfile.Instructions;

/// <summary>RUN <c>--mount=type=…</c>.</summary>
public enum MountType
{
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}
