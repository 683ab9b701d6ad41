// Owns: one validated RUN --mount specification with BuildKit's defaults applied.
namespace Gantry.Dockerfile.Instructions;

/// <summary>
/// A RUN <c>--mount</c>. Defaults as BuildKit: bind mounts are read-only unless <c>rw</c>; cache mounts are read-write,
/// shared, with <see cref="Id"/> defaulting to the target; secret targets default to <c>/run/secrets/ID</c> and the id to
/// the target's base name; ssh ids default to <c>default</c>. <see cref="Mode"/>/<see cref="Uid"/>/<see cref="Gid"/> are
/// null when not given. <see cref="Raw"/> is the flag value as written.
/// </summary>
public sealed record MountSpec
{
    public required MountType Type { get; init; }

    public required string Target { get; init; }

    public string? From { get; init; }

    public string? Source { get; init; }

    public bool ReadOnly { get; init; }

    public string? Id { get; init; }

    public CacheSharing Sharing { get; init; } = CacheSharing.Shared;

    public int? Mode { get; init; }

    public int? Uid { get; init; }

    public int? Gid { get; init; }

    public bool Required { get; init; }

    public long? SizeLimit { get; init; }

    /// <summary>For secrets: expose the secret as this environment variable instead of (or besides) a file.</summary>
    public string? Env { get; init; }

    public required string Raw { get; init; }
}
