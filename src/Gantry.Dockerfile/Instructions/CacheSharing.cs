// Owns: the sharing modes of a cache mount.
namespace Gantry.Dockerfile.Instructions;

/// <summary>RUN <c>--mount=type=cache,sharing=…</c>.</summary>
public enum CacheSharing
{
    Shared,
    Private,
    Locked,
}
