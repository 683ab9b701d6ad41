// Owns: tests of parsing `ps` output for top: the PID column found, rows filtered, the command column keeping its spaces.
using Gantry.Oci;
using Gantry.Runtime.Top;

namespace Gantry.Runtime.Tests.Top;

public sealed class ContainerTopTests
{
    private const string PsEf = """
        UID          PID    PPID  C STIME TTY          TIME CMD
        root           1       0  0 18:00 ?        00:00:01 /sbin/init
        root         812     700  0 18:01 ?        00:00:00 sleep 1000
        1000         813     812  0 18:01 pts/0    00:00:00 sh -c echo a b  c
        """;

    [Fact]
    public void Keeps_only_the_containers_pids_and_joins_the_last_column()
    {
        var r = ContainerTop.Parse(PsEf, [812, 813]);
        Assert.Equal(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], r.Titles);
        Assert.Equal(2, r.Processes.Count);
        Assert.Equal("sleep 1000", r.Processes[0][7]);
        Assert.Equal("sh -c echo a b c", r.Processes[1][7]);
    }

    [Fact]
    public void Output_without_a_pid_column_is_a_clear_error()
    {
        var ex = Assert.Throws<GantryException>(() => ContainerTop.Parse("USER COMMAND\nroot sleep\n", [1]));
        Assert.Contains("Couldn't find PID field", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Real_ps_output_for_this_process()
    {
        var me = Environment.ProcessId;
        var r = await ContainerTop.RunPsAsync([], [me], TestContext.Current.CancellationToken);
        var row = Assert.Single(r.Processes);
        Assert.Equal(me.ToString(System.Globalization.CultureInfo.InvariantCulture), row[1]);

        var custom = await ContainerTop.RunPsAsync(["-o", "pid,comm"], [me], TestContext.Current.CancellationToken);
        Assert.Equal(["PID", "COMMAND"], custom.Titles);
        Assert.Single(custom.Processes);
    }
}
