// Owns: turning a RunSpec into an OCI runtime config.json with docker's defaults (mounts, capabilities, masked paths, namespaces, limits).
using System.Globalization;
using Gantry.Oci;

namespace Gantry.Runtime.Spec;

internal static class SpecGenerator
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static readonly string[] MaskedPaths =
    [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
        "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    private static readonly string[] ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <param name="spec">What to run.</param>
    /// <param name="args">The final argv (init prepended, command resolved).</param>
    /// <param name="user">The resolved user.</param>
    /// <param name="etcDir">A directory holding hosts, hostname and resolv.conf for this container.</param>
    /// <param name="netnsPath">The network namespace to join (bridge), or null.</param>
    /// <param name="initPath">Host path of an init binary to bind at /sbin/docker-init, or null.</param>
    public static OciRuntimeSpec Generate(RunSpec spec, IReadOnlyList<string> args, ResolvedUser user, string etcDir, string? netnsPath, string? initPath)
    {
        var result = new OciRuntimeSpec
        {
            Hostname = spec.Network == NetworkMode.Host ? null : spec.Hostname,
            Root = new OciRoot { Path = spec.RootfsPath, Readonly = spec.ReadOnlyRootfs },
        };

        var caps = Capabilities.Compute(spec.Privileged, spec.CapAdd, spec.CapDrop);
        result.Process = new OciProcess
        {
            Terminal = spec.Terminal,
            Args = [.. args],
            Env = BuildEnv(spec, user),
            Cwd = string.IsNullOrEmpty(spec.WorkingDir) ? "/" : spec.WorkingDir,
            User = new OciUser { Uid = user.Uid, Gid = user.Gid, AdditionalGids = user.AdditionalGids.Count > 0 ? [.. user.AdditionalGids] : null },
            Capabilities = new OciCapabilities { Bounding = caps, Effective = [.. caps], Permitted = [.. caps], Inheritable = [], Ambient = [] },
            Rlimits = BuildRlimits(spec.Ulimits),
            NoNewPrivileges = !spec.Privileged,
            OomScoreAdj = 0,
        };

        var ro = spec.Privileged ? new List<string>() : ["ro"];
        result.Mounts =
        [
            new() { Destination = "/proc", Type = "proc", Source = "proc", Options = ["nosuid", "noexec", "nodev"] },
            new() { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            new() { Destination = "/dev/pts", Type = "devpts", Source = "devpts", Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
            new() { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = ["nosuid", "noexec", "nodev", .. ro] },
            new() { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup", Options = ["nosuid", "noexec", "nodev", "relatime", .. ro] },
            new() { Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue", Options = ["nosuid", "noexec", "nodev"] },
            new() { Destination = "/dev/shm", Type = "tmpfs", Source = "shm", Options = ["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"] },
            Bind(Path.Combine(etcDir, "resolv.conf"), "/etc/resolv.conf", spec.ReadOnlyRootfs),
            Bind(Path.Combine(etcDir, "hosts"), "/etc/hosts", spec.ReadOnlyRootfs),
        ];
        if (spec.Network != NetworkMode.Host)
        {
            result.Mounts.Add(Bind(Path.Combine(etcDir, "hostname"), "/etc/hostname", spec.ReadOnlyRootfs));
        }

        if (initPath is not null)
        {
            result.Mounts.Add(Bind(initPath, "/sbin/docker-init", readOnly: true));
        }

        foreach (var m in spec.Mounts)
        {
            result.Mounts.Add(m.Kind switch
            {
                MountKind.Tmpfs => new OciMount
                {
                    Destination = m.Target,
                    Type = "tmpfs",
                    Source = "tmpfs",
                    Options = ["nosuid", "nodev", .. m.Options.Count > 0 ? m.Options : ["mode=1777"], .. m.ReadOnly ? new[] { "ro" } : []],
                },
                _ => Bind(m.Source, m.Target, m.ReadOnly),
            });
        }

        var linux = result.Linux;
        linux.Namespaces =
        [
            new() { Type = "pid" },
            new() { Type = "ipc" },
            new() { Type = "uts" },
            new() { Type = "mount" },
        ];
        if (spec.Network == NetworkMode.None)
        {
            linux.Namespaces.Add(new() { Type = "network" });
        }
        else if (spec.Network == NetworkMode.Bridge)
        {
            linux.Namespaces.Add(new() { Type = "network", Path = netnsPath });
        }

        if (spec.Network == NetworkMode.Host)
        {
            // Without a UTS namespace of its own the hostname must not be set; keep the uts namespace but no hostname.
            linux.Namespaces.RemoveAll(n => n.Type == "uts");
        }

        linux.Resources.Devices = [new OciDeviceRule { Allow = spec.Privileged, Access = "rwm" }];
        if (spec.MemoryBytes > 0)
        {
            linux.Resources.Memory = new OciMemory { Limit = spec.MemoryBytes };
        }

        if (spec.Cpus > 0)
        {
            const ulong period = 100_000;
            linux.Resources.Cpu = new OciCpu { Period = period, Quota = (long)Math.Round(spec.Cpus * period) };
        }

        if (spec.PidsLimit > 0)
        {
            linux.Resources.Pids = new OciPids { Limit = spec.PidsLimit };
        }

        if (!spec.Privileged)
        {
            linux.MaskedPaths = [.. MaskedPaths];
            linux.ReadonlyPaths = [.. ReadonlyPaths];
        }

        return result;
    }

    private static OciMount Bind(string source, string destination, bool readOnly) => new()
    {
        Destination = destination,
        Type = "bind",
        Source = source,
        Options = readOnly ? ["rbind", "ro", "nosuid", "nodev"] : ["rbind", "rprivate"],
    };

    public static List<string> BuildEnv(RunSpec spec, ResolvedUser user)
    {
        var env = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in spec.Env)
        {
            var key = e.Split('=', 2)[0];
            var idx = env.FindIndex(x => x.Split('=', 2)[0] == key);
            if (idx >= 0)
            {
                env[idx] = e.Contains('=', StringComparison.Ordinal) ? e : key + "=";
            }
            else
            {
                env.Add(e.Contains('=', StringComparison.Ordinal) ? e : key + "=");
            }

            seen.Add(key);
        }

        if (!seen.Contains("PATH"))
        {
            env.Insert(0, "PATH=" + DefaultPath);
        }

        if (!seen.Contains("HOSTNAME"))
        {
            env.Add("HOSTNAME=" + (spec.Network == NetworkMode.Host ? Environment.MachineName : spec.Hostname));
        }

        if (spec.Terminal && !seen.Contains("TERM"))
        {
            env.Add("TERM=xterm");
        }

        if (!seen.Contains("HOME"))
        {
            env.Add("HOME=" + user.Home);
        }

        return env;
    }

    private static List<OciRlimit>? BuildRlimits(IReadOnlyList<Ulimit> ulimits)
    {
        if (ulimits.Count == 0)
        {
            return null;
        }

        var list = new List<OciRlimit>();
        foreach (var u in ulimits)
        {
            if (!HostFixups.IsKnownRlimit(u.Name))
            {
                throw new GantryException($"invalid ulimit '{u.Name}': use a name such as nofile, nproc, core, memlock or stack");
            }

            var cap = HostFixups.HardLimit(u.Name);
            var hard = u.Hard < 0 ? ulong.MaxValue : (ulong)u.Hard;
            var soft = u.Soft < 0 ? ulong.MaxValue : (ulong)u.Soft;
            hard = Math.Min(hard, cap);
            soft = Math.Min(soft, hard);
            list.Add(new OciRlimit { Type = "RLIMIT_" + u.Name.ToUpper(CultureInfo.InvariantCulture), Hard = hard, Soft = soft });
        }

        return list;
    }
}
