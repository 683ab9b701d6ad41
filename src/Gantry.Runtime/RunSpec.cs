// Owns: RunSpec, the description of one container process to run (used by the builder's RUN steps and by `gantry run`).
namespace Gantry.Runtime;

/// <summary>
/// What to run in a container: the rootfs (already mounted by the caller), the process, its namespaces, mounts and limits.
/// Only <see cref="RootfsPath"/> and <see cref="Args"/> are required; every other property has docker's default.
/// </summary>
public sealed record RunSpec
{
    /// <summary>Absolute path of the container's root filesystem (an overlay mount or a plain directory).</summary>
    public required string RootfsPath { get; init; }

    /// <summary>argv of the process; args[0] is looked up in PATH inside the rootfs when it has no slash.</summary>
    public required IReadOnlyList<string> Args { get; init; }

    /// <summary>KEY=VALUE environment. PATH and HOME get docker's defaults when missing; HOSTNAME is always set.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>Working directory inside the container; created when missing, as docker does.</summary>
    public string WorkingDir { get; init; } = "/";

    /// <summary>USER[:GROUP] as names or numbers, resolved against the rootfs's /etc/passwd and /etc/group; null or empty means root.</summary>
    public string? User { get; init; }

    public string Hostname { get; init; } = "gantry";

    /// <summary>host (the default for builds), none, or bridge.</summary>
    public NetworkMode Network { get; init; } = NetworkMode.Host;

    /// <summary>Extra mounts: binds (ro/rw), tmpfs, named volumes (already resolved to a host dir by the caller).</summary>
    public IReadOnlyList<MountSpec> Mounts { get; init; } = [];

    /// <summary>Allocate a pseudo-terminal for the process (docker -t).</summary>
    public bool Terminal { get; init; }

    public bool ReadOnlyRootfs { get; init; }

    public bool Privileged { get; init; }

    /// <summary>Capabilities to add/drop (with or without CAP_ prefix; ALL allowed), applied to docker's default set.</summary>
    public IReadOnlyList<string> CapAdd { get; init; } = [];

    public IReadOnlyList<string> CapDrop { get; init; } = [];

    /// <summary>Memory limit in bytes (0 = none).</summary>
    public long MemoryBytes { get; init; }

    /// <summary>CPU limit in CPUs (0 = none), e.g. 1.5.</summary>
    public double Cpus { get; init; }

    /// <summary>Maximum number of processes (0 = none).</summary>
    public long PidsLimit { get; init; }

    public IReadOnlyList<Ulimit> Ulimits { get; init; } = [];

    /// <summary>Extra /etc/hosts entries (host, ip).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraHosts { get; init; } = [];

    /// <summary>DNS servers for /etc/resolv.conf (empty: the host's, minus loopback resolvers).</summary>
    public IReadOnlyList<string> Dns { get; init; } = [];

    /// <summary>Run a minimal init as PID 1 that forwards signals and reaps zombies (docker --init); needs tini or catatonit on the host.</summary>
    public bool Init { get; init; }

    /// <summary>Port publications (bridge network only).</summary>
    public IReadOnlyList<PortMapping> Ports { get; init; } = [];
}

public enum NetworkMode
{
    Host,
    None,
    Bridge,
}

/// <summary>One ulimit (docker --ulimit name=soft[:hard]).</summary>
public sealed record Ulimit(string Name, long Soft, long Hard);
