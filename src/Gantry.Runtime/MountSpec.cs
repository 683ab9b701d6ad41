// Owns: MountSpec, one extra mount in a container (bind, tmpfs or a named volume resolved to a host dir).
namespace Gantry.Runtime;

/// <summary>An extra mount. For <see cref="MountKind.Bind"/> and <see cref="MountKind.Volume"/>, <see cref="Source"/> is a host path.</summary>
public sealed record MountSpec
{
    public required MountKind Kind { get; init; }

    /// <summary>Host path (bind, volume dir); ignored for tmpfs.</summary>
    public string Source { get; init; } = "";

    /// <summary>Absolute path inside the container.</summary>
    public required string Target { get; init; }

    public bool ReadOnly { get; init; }

    /// <summary>The volume's name (Kind == Volume), for inspect.</summary>
    public string? VolumeName { get; init; }

    /// <summary>Extra tmpfs options such as size=64m, mode=1777.</summary>
    public IReadOnlyList<string> Options { get; init; } = [];

    public static MountSpec Bind(string source, string target, bool readOnly = false) =>
        new() { Kind = MountKind.Bind, Source = source, Target = target, ReadOnly = readOnly };

    public static MountSpec Tmpfs(string target, params string[] options) =>
        new() { Kind = MountKind.Tmpfs, Target = target, Options = options };
}

public enum MountKind
{
    Bind,
    Tmpfs,
    Volume,
}
