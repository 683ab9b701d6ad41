// Owns: the persisted description of one container (containers/<id>/container.json): config, state, rootfs mount, ports.
using System.Text.Json.Serialization;

namespace Gantry.Runtime.State;

public sealed class ContainerRecord
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public DateTimeOffset Created { get; set; }

    /// <summary>The image as the user named it (e.g. busybox or busybox:latest).</summary>
    public string Image { get; set; } = "";

    /// <summary>The image ID (config digest), when known.</summary>
    public string ImageId { get; set; } = "";

    /// <summary>What runs; RootfsPath is the container's rootfs mount point.</summary>
    public RunSpec Spec { get; set; } = new() { RootfsPath = "/", Args = [] };

    public List<string>? Entrypoint { get; set; }

    public List<string>? Cmd { get; set; }

    public ContainerStateRecord State { get; set; } = new();

    /// <summary>How to mount the rootfs (an overlay over snapshot dirs), or null when RootfsPath is a plain directory.</summary>
    public RootfsMount? RootfsMount { get; set; }

    /// <summary>The snapshot key holding this container's writable layer (for removal), if any.</summary>
    public string? SnapshotKey { get; set; }

    public bool AutoRemove { get; set; }

    public bool OpenStdin { get; set; }

    /// <summary>Close the container's stdin when the first attached client closes its stdin (docker's StdinOnce: run -i, create -i).</summary>
    public bool StdinOnce { get; set; }

    public string StopSignal { get; set; } = "SIGTERM";

    public int StopTimeout { get; set; } = 10;

    public Dictionary<string, string> Labels { get; set; } = [];

    public string? IpAddress { get; set; }

    public List<PortMapping> Ports { get; set; } = [];

    public string Runtime { get; set; } = "";

    public int RestartCount { get; set; }

    /// <summary>docker's `--restart` policy name: no, always, unless-stopped, on-failure (the monitor applies it).</summary>
    public string RestartPolicy { get; set; } = "no";

    /// <summary>on-failure's maximum retry count (0: unlimited).</summary>
    public int RestartMaxRetries { get; set; }

    [JsonIgnore]
    public string ShortId => Id[..Math.Min(12, Id.Length)];
}

public sealed class ContainerStateRecord
{
    /// <summary>created, running, exited, removing, dead.</summary>
    public string Status { get; set; } = "created";

    public int Pid { get; set; }

    public int MonitorPid { get; set; }

    public int ExitCode { get; set; }

    public string Error { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset FinishedAt { get; set; }

    public bool OomKilled { get; set; }

    /// <summary>Set by `gantry stop`/`kill`, cleared by start: the restart policy no longer applies (docker's HasBeenManuallyStopped).</summary>
    public bool ManuallyStopped { get; set; }

    /// <summary>Set before starting the monitor for `start -a`: the monitor waits (briefly) for the first attach client before it starts the container.</summary>
    public bool WaitForAttach { get; set; }
}

/// <summary>How the rootfs is mounted: a snapshot mount spec (overlay of lower dirs + upper/work, or a bind of a ready dir).</summary>
public sealed class RootfsMount
{
    /// <summary>overlay or bind.</summary>
    public string Kind { get; set; } = "overlay";

    public string Key { get; set; } = "";

    public List<string> LowerDirs { get; set; } = [];

    public string? UpperDir { get; set; }

    public string? WorkDir { get; set; }

    public string? Source { get; set; }

    public static RootfsMount From(Gantry.Snapshots.MountSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new RootfsMount
        {
            Kind = spec.Kind == Gantry.Snapshots.MountKind.Overlay ? "overlay" : "bind",
            Key = spec.Key,
            LowerDirs = [.. spec.LowerDirs],
            UpperDir = spec.UpperDir,
            WorkDir = spec.WorkDir,
            Source = spec.Source,
        };
    }

    public Gantry.Snapshots.MountSpec ToMountSpec() => new()
    {
        Kind = Kind == "overlay" ? Gantry.Snapshots.MountKind.Overlay : Gantry.Snapshots.MountKind.Bind,
        Key = Key,
        LowerDirs = LowerDirs,
        UpperDir = UpperDir,
        WorkDir = WorkDir,
        Source = Source,
    };
}
