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

    public string StopSignal { get; set; } = "SIGTERM";

    public int StopTimeout { get; set; } = 10;

    public Dictionary<string, string> Labels { get; set; } = [];

    public string? IpAddress { get; set; }

    public List<PortMapping> Ports { get; set; } = [];

    public string Runtime { get; set; } = "";

    public int RestartCount { get; set; }

    /// <summary>docker's `--restart` policy name (only "no" is honoured).</summary>
    public string RestartPolicy { get; set; } = "no";

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
}

/// <summary>A mount(2) call that makes the rootfs: type, source, and the data string (e.g. lowerdir=…,upperdir=…,workdir=…).</summary>
public sealed class RootfsMount
{
    public string Type { get; set; } = "overlay";

    public string Source { get; set; } = "overlay";

    public string Data { get; set; } = "";
}
