// Owns: end-to-end tests of `run --restart`: on-failure:N, always until stop, unless-stopped after kill, and the rejected combinations.
namespace Gantry.Cli.Tests.Containers;

public sealed class RestartPolicyTests
{
    private static string Name(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task On_failure_with_a_maximum_restarts_that_many_times_then_stops()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = Name("onf");
        var r = env.Run("run", "-d", "--restart", "on-failure:2", "--name", name, "busybox", "sh", "-c", "echo run; exit 3");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("3\n", env.Run("wait", name).StdOut);
        Assert.Equal("2 3 false on-failure 2\n", env.Run("inspect", "--format", "{{.RestartCount}} {{.State.ExitCode}} {{.State.Running}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", name).StdOut);
        Assert.Equal("run\nrun\nrun\n", env.Run("logs", name).StdOut);
        Assert.True(env.Run("rm", name).ExitCode == 0);
        Assert.Empty(env.Mounts());
    }

    [Fact]
    public async Task On_failure_does_not_restart_a_successful_exit()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = Name("ok");
        Assert.True(env.Run("run", "-d", "--restart", "on-failure", "--name", name, "busybox", "true").ExitCode == 0);
        Assert.Equal("0\n", env.Run("wait", name).StdOut);
        Assert.Equal("0\n", env.Run("inspect", "--format", "{{.RestartCount}}", name).StdOut);
        Assert.True(env.Run("rm", name).ExitCode == 0);
    }

    [Fact]
    public async Task Always_restarts_after_each_exit_until_stop()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = Name("always");
        Assert.True(env.Run("run", "-d", "--restart", "always", "--name", name, "busybox", "sh", "-c", "echo tick; sleep 0.2").ExitCode == 0);
        var count = 0;
        for (var i = 0; i < 600 && count < 2; i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            count = int.Parse(env.Run("inspect", "--format", "{{.RestartCount}}", name).StdOut.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }

        Assert.True(count >= 2, $"RestartCount stayed at {count}");
        Assert.True(env.Run("stop", name).ExitCode == 0);
        Assert.Equal("false\n", env.Run("inspect", "--format", "{{.State.Running}}", name).StdOut);
        var after = env.Run("inspect", "--format", "{{.RestartCount}}", name).StdOut;
        Assert.DoesNotContain("Up ", env.Run("ps", "-a").StdOut, StringComparison.Ordinal);
        Assert.True(env.Run("logs", name).StdOut.Split('\n').Count(l => l == "tick") >= 3);
        Assert.Equal(after, env.Run("inspect", "--format", "{{.RestartCount}}", name).StdOut);
        Assert.True(env.Run("rm", name).ExitCode == 0);
        Assert.Empty(env.Mounts());
    }

    [Fact]
    public async Task Unless_stopped_does_not_restart_after_kill()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = Name("us");
        Assert.True(env.Run("run", "-d", "--restart", "unless-stopped", "--name", name, "busybox", "sh", "-c", "while true; do sleep 0.1; done").ExitCode == 0);
        Assert.True(env.Run("kill", name).ExitCode == 0);
        Assert.Equal("137\n", env.Run("wait", name).StdOut);
        Assert.Equal("0 false\n", env.Run("inspect", "--format", "{{.RestartCount}} {{.State.Running}}", name).StdOut);
        Assert.True(env.Run("rm", name).ExitCode == 0);
    }

    [Fact]
    public async Task Restart_with_rm_and_bad_policies_are_rejected()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var rm = env.Run("run", "--rm", "--restart", "always", "busybox", "true");
        Assert.Equal(125, rm.ExitCode);
        Assert.Contains("Conflicting options: --restart and --rm", rm.StdErr, StringComparison.Ordinal);
        var bad = env.Run("run", "--restart", "sometimes", "busybox", "true");
        Assert.Equal(125, bad.ExitCode);
        Assert.Contains("invalid restart policy", bad.StdErr, StringComparison.Ordinal);
        var count = env.Run("run", "--restart", "always:3", "busybox", "true");
        Assert.Equal(125, count.ExitCode);
        Assert.Equal("", env.Run("ps", "-aq").StdOut);
    }
}
