// Owns: tests of cgroup path discovery on hybrid v1/v2 and v2-only hosts, /proc/net/dev parsing, and reading this process's stats.
using Gantry.Runtime.Stats;

namespace Gantry.Runtime.Tests.Stats;

public sealed class StatsReaderTests
{
    [Fact]
    public void Hybrid_host_maps_v1_controllers_and_the_unified_dir()
    {
        string[] mountInfo =
        [
            "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
            "32 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
            "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
            "39 30 0:36 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
        ];
        string[] cgroup = ["4:memory:/abc", "2:cpu,cpuacct:/abc", "0::/abc"];
        var p = CgroupPaths.Parse(cgroup, mountInfo);
        Assert.Equal("/sys/fs/cgroup/unified/abc", p.Unified);
        Assert.Null(p.V1("memory")); // the directory does not exist on this machine
        var v2only = CgroupPaths.Parse(["0::/system.slice/x"], ["25 20 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw"]);
        Assert.Equal("/sys/fs/cgroup/system.slice/x", v2only.Unified);
        var nested = CgroupPaths.Parse(["0::/outer/inner"], ["25 20 0:22 /outer /sys/fs/cgroup rw - cgroup2 cgroup2 rw"]);
        Assert.Equal("/sys/fs/cgroup/inner", nested.Unified);
    }

    [Fact]
    public void Net_dev_sums_every_interface_but_lo()
    {
        const string text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
              eth0:     736       8    0    0    0     0          0         0      516       6    0    0    0     0       0          0
              eth1:      64       1    0    0    0     0          0         0       36       1    0    0    0     0       0          0
            """;
        Assert.Equal((800UL, 552UL), StatsReader.ParseNetDev(text));
    }

    [Fact]
    public void Reads_this_process_cgroup()
    {
        var s = StatsReader.Read(Environment.ProcessId);
        Assert.NotNull(s);
        Assert.True(s.MemoryLimit > 0);
        Assert.True(s.SystemNanos > 0);
        Assert.True(s.Pids >= 1 || s.MemoryUsage >= 0);
    }
}
