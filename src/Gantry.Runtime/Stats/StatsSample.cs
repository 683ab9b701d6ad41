// Owns: one reading of a container's resource counters (cgroup + /proc/PID/net/dev), as docker's stats API reports them.
namespace Gantry.Runtime.Stats;

public sealed record StatsSample
{
    /// <summary>When the sample was taken.</summary>
    public DateTimeOffset Read { get; init; }

    /// <summary>Total CPU time used by the container's cgroup, in nanoseconds.</summary>
    public ulong CpuTotalNanos { get; init; }

    /// <summary>Total CPU time of the host (all CPUs, from /proc/stat), in nanoseconds.</summary>
    public ulong SystemNanos { get; init; }

    /// <summary>CPUs online on the host.</summary>
    public int OnlineCpus { get; init; }

    /// <summary>Memory in use, without the inactive page cache (as docker's CLI computes it).</summary>
    public ulong MemoryUsage { get; init; }

    /// <summary>The memory limit (the host's memory when unlimited).</summary>
    public ulong MemoryLimit { get; init; }

    public ulong NetRxBytes { get; init; }

    public ulong NetTxBytes { get; init; }

    public ulong BlockReadBytes { get; init; }

    public ulong BlockWriteBytes { get; init; }

    public ulong Pids { get; init; }

    /// <summary>docker's CPU %: container CPU delta over host CPU delta, times the online CPUs, times 100.</summary>
    public static double CpuPercent(StatsSample? previous, StatsSample current)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (previous is null)
        {
            return 0;
        }

        var cpuDelta = (double)current.CpuTotalNanos - previous.CpuTotalNanos;
        var systemDelta = (double)current.SystemNanos - previous.SystemNanos;
        return systemDelta > 0 && cpuDelta > 0 ? cpuDelta / systemDelta * current.OnlineCpus * 100.0 : 0;
    }

    /// <summary>docker's MEM %.</summary>
    public double MemoryPercent => MemoryLimit == 0 ? 0 : (double)MemoryUsage / MemoryLimit * 100.0;
}
