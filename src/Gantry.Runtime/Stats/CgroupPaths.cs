// Owns: finding a process's cgroup directories on cgroup v1, v2 and hybrid hosts (from /proc/PID/cgroup and /proc/self/mountinfo).
using System.Globalization;

namespace Gantry.Runtime.Stats;

/// <summary>
/// The cgroup directories of one process: per v1 controller (cpu, cpuacct, memory, blkio, pids, …) and the v2 unified one.
/// On a hybrid host a controller bound to a v1 hierarchy is read there; otherwise from the unified (v2) directory.
/// </summary>
public sealed class CgroupPaths
{
    private readonly Dictionary<string, string> v1;

    private CgroupPaths(Dictionary<string, string> v1, string? unified)
    {
        this.v1 = v1;
        Unified = unified;
    }

    /// <summary>The process's cgroup v2 directory, when a cgroup2 hierarchy is mounted.</summary>
    public string? Unified { get; }

    /// <summary>The v1 directory of <paramref name="controller"/> for the process, or null when that controller is not on v1.</summary>
    public string? V1(string controller) => v1.TryGetValue(controller, out var d) && Directory.Exists(d) ? d : null;

    /// <summary>Reads the cgroups of <paramref name="pid"/>; null when the process is gone or has no readable cgroup.</summary>
    public static CgroupPaths? ForPid(int pid)
    {
        if (pid <= 0)
        {
            return null;
        }

        string[] cgroupLines;
        string[] mountInfo;
        try
        {
            cgroupLines = File.ReadAllLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cgroup");
            mountInfo = File.ReadAllLines("/proc/self/mountinfo");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return Parse(cgroupLines, mountInfo);
    }

    /// <summary>Combines /proc/PID/cgroup lines with /proc/self/mountinfo lines (exposed for tests).</summary>
    public static CgroupPaths Parse(IEnumerable<string> cgroupLines, IEnumerable<string> mountInfoLines)
    {
        ArgumentNullException.ThrowIfNull(cgroupLines);
        ArgumentNullException.ThrowIfNull(mountInfoLines);

        // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL…] - FSTYPE SOURCE SUPEROPTS
        var v1Mounts = new Dictionary<string, (string Root, string MountPoint)>();
        (string Root, string MountPoint)? v2Mount = null;
        foreach (var line in mountInfoLines)
        {
            var parts = line.Split(' ');
            var dash = Array.IndexOf(parts, "-");
            if (dash < 0 || parts.Length < 5)
            {
                continue;
            }

            var fsType = dash + 1 < parts.Length ? parts[dash + 1] : "";
            var root = Unescape(parts[3]);
            var mountPoint = Unescape(parts[4]);
            if (fsType == "cgroup2")
            {
                v2Mount ??= (root, mountPoint);
            }
            else if (fsType == "cgroup" && dash + 3 < parts.Length)
            {
                foreach (var opt in parts[dash + 3].Split(','))
                {
                    if (opt is "rw" or "ro" or "relatime" or "noexec" or "nosuid" or "nodev" || opt.StartsWith("release_agent", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    v1Mounts.TryAdd(opt, (root, mountPoint));
                }
            }
        }

        var v1 = new Dictionary<string, string>();
        string? unified = null;
        foreach (var line in cgroupLines)
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }

            var path = parts[2];
            if (parts[1].Length == 0)
            {
                if (v2Mount is { } m)
                {
                    unified = Join(m.MountPoint, m.Root, path);
                }

                continue;
            }

            foreach (var controller in parts[1].Split(','))
            {
                if (v1Mounts.TryGetValue(controller, out var m))
                {
                    v1[controller] = Join(m.MountPoint, m.Root, path);
                }
            }
        }

        return new CgroupPaths(v1, unified);
    }

    /// <summary>The pids in the process's cgroup (pids or any v1 controller's cgroup.procs, else the unified one).</summary>
    public IReadOnlyList<int>? Procs()
    {
        foreach (var dir in new[] { V1("pids"), V1("memory"), V1("cpu"), V1("freezer"), Unified })
        {
            if (dir is null)
            {
                continue;
            }

            var text = TryRead(Path.Combine(dir, "cgroup.procs"));
            if (text is null)
            {
                continue;
            }

            var pids = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => int.TryParse(l.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0)
                .Where(p => p > 0).ToList();
            if (pids.Count > 0)
            {
                return pids;
            }
        }

        return null;
    }

    internal static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Join(string mountPoint, string mountRoot, string cgroupPath)
    {
        // a cgroup path is relative to the hierarchy root; the mount may show only a sub-tree (mount root)
        var rel = cgroupPath;
        if (mountRoot != "/" && (rel == mountRoot || rel.StartsWith(mountRoot + "/", StringComparison.Ordinal)))
        {
            rel = rel[mountRoot.Length..];
        }

        rel = rel.Trim('/');
        return rel.Length == 0 ? mountPoint : mountPoint.TrimEnd('/') + "/" + rel;
    }

    private static string Unescape(string s) => s.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}
