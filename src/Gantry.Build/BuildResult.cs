// Owns: what a finished build returns (image ID, manifest, tags, step statistics).
using Gantry.Oci;

namespace Gantry.Build;

/// <summary>The built image: its ID (config digest, as docker shows it), manifest descriptor and the names it was tagged with.</summary>
public sealed record BuildResult
{
    public required Digest ImageId { get; init; }

    public required Descriptor Manifest { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>Steps reused from the cache / executed.</summary>
    public int CachedSteps { get; init; }

    public int ExecutedSteps { get; init; }
}
