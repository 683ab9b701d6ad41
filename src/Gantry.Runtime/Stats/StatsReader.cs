// Owns: reading a container's counters from its cgroup (v1 or v2, whichever holds each controller) and its network namespace.
using System.Globalization;

namespace Gantry.Runtime.Stats;

public static class StatsReader
{
    /// <summary>Reads the counters of the container whose init process is <paramref name="pid"/>; null when it is gone.</summary>
    public static StatsSample? Read(int pid)
    {
        var cgroups = CgroupPaths.ForPid(pid);
        if (cgroups is null)
        {
            return null;
        }

        var (rx, tx) = ReadNetDev(pid);
        var (blkRead, blkWrite) = ReadBlockIo(cgroups);
        var (usage, limit) = ReadMemory(cgroups);
        return new StatsSample
        {
            Read = DateTimeOffset.UtcNow,
            CpuTotalNanos = ReadCpu(cgroups),
            SystemNanos = ReadSystemCpuNanos(),
            OnlineCpus = Environment.ProcessorCount,
            MemoryUsage = usage,
            MemoryLimit = limit,
            NetRxBytes = rx,
            NetTxBytes = tx,
            BlockReadBytes = blkRead,
            BlockWriteBytes = blkWrite,
            Pids = ReadPids(cgroups),
        };
    }

    internal static ulong ReadCpu(CgroupPaths cg)
    {
        foreach (var c in new[] { "cpuacct", "cpu" })
        {
            if (cg.V1(c) is { } d && Number(Path.Combine(d, "cpuacct.usage")) is { } ns)
            {
                return ns;
            }
        }

        if (cg.Unified is { } u && KeyValues(Path.Combine(u, "cpu.stat")).TryGetValue("usage_usec", out var usec))
        {
            return usec * 1000;
        }

        return 0;
    }

    internal static (ulong Usage, ulong Limit) ReadMemory(CgroupPaths cg)
    {
        ulong? usage = null;
        ulong? limit = null;
        ulong inactive = 0;
        if (cg.V1("memory") is { } d)
        {
            usage = Number(Path.Combine(d, "memory.usage_in_bytes"));
            limit = Number(Path.Combine(d, "memory.limit_in_bytes"));
            var stat = KeyValues(Path.Combine(d, "memory.stat"));
            inactive = stat.TryGetValue("total_inactive_file", out var t) ? t : stat.GetValueOrDefault("inactive_file");
        }
        else if (cg.Unified is { } u && File.Exists(Path.Combine(u, "memory.current")))
        {
            usage = Number(Path.Combine(u, "memory.current"));
            limit = Number(Path.Combine(u, "memory.max"));
            inactive = KeyValues(Path.Combine(u, "memory.stat")).GetValueOrDefault("inactive_file");
        }

        var host = HostMemory();
        var effectiveLimit = limit is { } l && l > 0 && (host == 0 || l < host) ? l : host;
        var used = usage ?? 0;
        used = inactive < used ? used - inactive : used;
        return (used, effectiveLimit);
    }

    internal static (ulong Read, ulong Write) ReadBlockIo(CgroupPaths cg)
    {
        ulong read = 0;
        ulong write = 0;
        if (cg.V1("blkio") is { } d)
        {
            foreach (var file in new[] { "blkio.throttle.io_service_bytes", "blkio.io_service_bytes_recursive" })
            {
                var text = CgroupPaths.TryRead(Path.Combine(d, file));
                if (text is null)
                {
                    continue;
                }

                foreach (var line in text.Split('\n'))
                {
                    var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length == 3 && ulong.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                    {
                        if (string.Equals(f[1], "Read", StringComparison.OrdinalIgnoreCase))
                        {
                            read += v;
                        }
                        else if (string.Equals(f[1], "Write", StringComparison.OrdinalIgnoreCase))
                        {
                            write += v;
                        }
                    }
                }

                return (read, write);
            }
        }

        if (cg.Unified is { } u && CgroupPaths.TryRead(Path.Combine(u, "io.stat")) is { } io)
        {
            foreach (var line in io.Split('\n'))
            {
                foreach (var kv in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
                {
                    var p = kv.Split('=', 2);
                    if (p.Length == 2 && ulong.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                    {
                        if (p[0] == "rbytes")
                        {
                            read += v;
                        }
                        else if (p[0] == "wbytes")
                        {
                            write += v;
                        }
                    }
                }
            }
        }

        return (read, write);
    }

    internal static ulong ReadPids(CgroupPaths cg)
    {
        if (cg.V1("pids") is { } d && Number(Path.Combine(d, "pids.current")) is { } n)
        {
            return n;
        }

        if (cg.Unified is { } u && Number(Path.Combine(u, "pids.current")) is { } m)
        {
            return m;
        }

        return (ulong)(cg.Procs()?.Count ?? 0);
    }

    /// <summary>Bytes received and sent on every interface but lo, from /proc/PID/net/dev (the container's network namespace).</summary>
    public static (ulong Rx, ulong Tx) ReadNetDev(int pid)
    {
        var text = CgroupPaths.TryRead($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/net/dev");
        return text is null ? (0, 0) : ParseNetDev(text);
    }

    public static (ulong Rx, ulong Tx) ParseNetDev(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ulong rx = 0;
        ulong tx = 0;
        foreach (var line in text.Split('\n').Skip(2))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || line[..colon].Trim() == "lo")
            {
                continue;
            }

            var f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 9
                && ulong.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var r)
                && ulong.TryParse(f[8], NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                rx += r;
                tx += t;
            }
        }

        return (rx, tx);
    }

    /// <summary>The host's total CPU time in nanoseconds (the "cpu" line of /proc/stat, in USER_HZ=100 ticks).</summary>
    internal static ulong ReadSystemCpuNanos()
    {
        var text = CgroupPaths.TryRead("/proc/stat");
        var line = text?.Split('\n').FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        if (line is null)
        {
            return 0;
        }

        ulong ticks = 0;
        foreach (var f in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(7))
        {
            ticks += ulong.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
        }

        return ticks * 10_000_000; // 1e9 / 100 ticks per second
    }

    private static ulong HostMemory()
    {
        var text = CgroupPaths.TryRead("/proc/meminfo");
        var line = text?.Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var f = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return f is { Length: >= 2 } && ulong.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : 0;
    }

    private static ulong? Number(string path)
    {
        var text = CgroupPaths.TryRead(path)?.Trim();
        return text is not null && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private static Dictionary<string, ulong> KeyValues(string path)
    {
        var result = new Dictionary<string, ulong>();
        var text = CgroupPaths.TryRead(path);
        if (text is null)
        {
            return result;
        }

        foreach (var line in text.Split('\n'))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 2 && ulong.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                result[f[0]] = v;
            }
        }

        return result;
    }
}
