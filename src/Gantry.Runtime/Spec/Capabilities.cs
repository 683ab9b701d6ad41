// Owns: Linux capability names, docker's default set, and applying --cap-add/--cap-drop/--privileged within the host's bounding set.
using System.Globalization;
using Gantry.Oci;

namespace Gantry.Runtime.Spec;

internal static class Capabilities
{
    public static readonly string[] All =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
        "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    /// <summary>Docker's default capability set.</summary>
    public static readonly string[] DockerDefault =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    public static List<string> Compute(bool privileged, IReadOnlyList<string> add, IReadOnlyList<string> drop)
    {
        var set = new List<string>(privileged ? All : DockerDefault);
        if (!privileged)
        {
            foreach (var raw in add)
            {
                var c = Normalize(raw);
                if (c == "CAP_ALL")
                {
                    set = [.. All];
                }
                else if (!set.Contains(c))
                {
                    set.Add(c);
                }
            }

            foreach (var raw in drop)
            {
                var c = Normalize(raw);
                if (c == "CAP_ALL")
                {
                    set.Clear();
                }
                else
                {
                    set.Remove(c);
                }
            }
        }

        var bounding = HostBounding();
        return set.Where(c => bounding is null || bounding.Contains(c)).ToList();
    }

    private static string Normalize(string raw)
    {
        var c = raw.Trim().ToUpperInvariant();
        if (!c.StartsWith("CAP_", StringComparison.Ordinal))
        {
            c = "CAP_" + c;
        }

        if (c != "CAP_ALL" && !All.Contains(c))
        {
            throw new GantryException($"unknown capability '{raw}': use a name such as NET_ADMIN or SYS_PTRACE (or ALL)");
        }

        return c;
    }

    /// <summary>The capabilities this process may hand on (its bounding set), or null when unknown.</summary>
    private static HashSet<string>? HostBounding()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapBnd:", StringComparison.Ordinal));
            if (line is null || !ulong.TryParse(line[7..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask))
            {
                return null;
            }

            var result = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < All.Length; i++)
            {
                if ((mask & (1UL << i)) != 0)
                {
                    result.Add(All[i]);
                }
            }

            return result;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
