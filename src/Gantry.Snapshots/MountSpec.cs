// Owns: the description of how to mount a prepared snapshot (overlay lower/upper/work dirs, or a plain directory).
namespace Gantry.Snapshots;

public enum MountKind
{
    /// <summary>overlayfs: <see cref="MountSpec.LowerDirs"/> (top-first), <see cref="MountSpec.UpperDir"/>, <see cref="MountSpec.WorkDir"/>.</summary>
    Overlay,

    /// <summary>A ready directory (<see cref="MountSpec.Source"/>): the copy-based fallback, or a single read-only layer.
    /// It can be used as a rootfs as is, or bind-mounted.</summary>
    Bind,
}

/// <summary>
/// What <see cref="SnapshotStore.PrepareAsync"/> returns: how to mount a snapshot. The store never mounts; use
/// <see cref="Mounter.Mount"/> or put <see cref="Type"/>/<see cref="Source"/>/<see cref="Options"/> into a runtime config.
/// </summary>
public sealed record MountSpec
{
    public required MountKind Kind { get; init; }

    /// <summary>The snapshot key this spec belongs to.</summary>
    public required string Key { get; init; }

    /// <summary>Overlay lower dirs, topmost (newest layer) first.</summary>
    public IReadOnlyList<string> LowerDirs { get; init; } = [];

    /// <summary>Overlay upper dir (where a RUN's changes land); null for read-only views.</summary>
    public string? UpperDir { get; init; }

    public string? WorkDir { get; init; }

    /// <summary>For <see cref="MountKind.Bind"/>: the directory itself.</summary>
    public string? Source { get; init; }

    public bool ReadOnly { get; init; }

    /// <summary>Extra overlay options (e.g. "index=off"), already validated on this host.</summary>
    public IReadOnlyList<string> ExtraOptions { get; init; } = [];

    /// <summary>mount(2) filesystem type: "overlay" or "bind" (use MS_BIND).</summary>
    public string Type => Kind == MountKind.Overlay ? "overlay" : "bind";

    /// <summary>The mount data string: "lowerdir=a:b,upperdir=u,workdir=w[,index=off]" for overlay; empty for bind.</summary>
    public string Data => Kind == MountKind.Overlay ? string.Join(',', Options) : string.Empty;

    /// <summary>Options as a list, as an OCI runtime config's mounts[].options takes them.</summary>
    public IReadOnlyList<string> Options
    {
        get
        {
            if (Kind == MountKind.Bind)
            {
                return ReadOnly ? ["rbind", "ro"] : ["rbind"];
            }

            var list = new List<string> { "lowerdir=" + string.Join(':', LowerDirs) };
            if (UpperDir is not null && !ReadOnly)
            {
                list.Add("upperdir=" + UpperDir);
                list.Add("workdir=" + WorkDir);
            }

            list.AddRange(ExtraOptions);
            return list;
        }
    }
}
