// Owns: adapting this host for the OCI runtime: the hugetlb v1 hierarchy crun needs on hybrid cgroup hosts, rlimit caps.
using Gantry.Runtime.Native;

namespace Gantry.Runtime;

internal static class HostFixups
{
    private static readonly Lock Gate = new();
    private static bool? crunReady;

    /// <summary>
    /// On a hybrid cgroup v1/v2 host crun 1.8 refuses to start when the hugetlb controller is enabled in the kernel but
    /// has no v1 hierarchy mounted; mount one (as root). Returns false when crun cannot work here (the caller uses runc).
    /// </summary>
    public static bool PrepareForCrun()
    {
        lock (Gate)
        {
            crunReady ??= Prepare();
            return crunReady.Value;
        }
    }

    private static bool Prepare()
    {
        try
        {
            var mounts = File.ReadAllLines("/proc/self/mounts");
            var cgroupRoot = mounts.Select(l => l.Split(' ')).FirstOrDefault(f => f.Length > 2 && f[1] == "/sys/fs/cgroup");
            if (cgroupRoot is null || cgroupRoot[2] == "cgroup2")
            {
                return true; // pure v2 (or no cgroups at all): nothing to fix
            }

            var hugetlbEnabled = File.Exists("/proc/cgroups") && File.ReadAllLines("/proc/cgroups")
                .Select(l => l.Split('\t'))
                .Any(f => f.Length >= 4 && f[0] == "hugetlb" && f[3] == "1");
            if (!hugetlbEnabled)
            {
                return true;
            }

            var mounted = mounts.Select(l => l.Split(' ')).Any(f => f.Length > 3 && f[2] == "cgroup" && f[3].Split(',').Contains("hugetlb"));
            if (mounted)
            {
                return true;
            }

            if (!Libc.IsRoot)
            {
                return false;
            }

            Directory.CreateDirectory("/sys/fs/cgroup/hugetlb");
            return Libc.Mount("cgroup", "/sys/fs/cgroup/hugetlb", "cgroup", 0, "hugetlb") == 0;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static readonly Dictionary<string, int> RlimitResources = new(StringComparer.OrdinalIgnoreCase)
    {
        ["cpu"] = 0, ["fsize"] = 1, ["data"] = 2, ["stack"] = 3, ["core"] = 4, ["rss"] = 5, ["nproc"] = 6, ["nofile"] = 7,
        ["memlock"] = 8, ["as"] = 9, ["locks"] = 10, ["sigpending"] = 11, ["msgqueue"] = 12, ["nice"] = 13, ["rtprio"] = 14, ["rttime"] = 15,
    };

    public static bool IsKnownRlimit(string name) => RlimitResources.ContainsKey(name);

    /// <summary>The caller's hard limit for a resource (ulong.MaxValue for unlimited); without CAP_SYS_RESOURCE nothing above it can be set.</summary>
    public static ulong HardLimit(string name)
    {
        if (!RlimitResources.TryGetValue(name, out var resource) || Libc.GetRlimit(resource, out var limit) != 0)
        {
            return ulong.MaxValue;
        }

        return limit.Max;
    }
}
