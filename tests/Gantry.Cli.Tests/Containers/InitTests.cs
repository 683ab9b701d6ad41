// Owns: end-to-end tests of `run --init`: tini as PID 1 at /sbin/docker-init, reaping, exit codes, signals, a clear error without it.
namespace Gantry.Cli.Tests.Containers;

public sealed class InitTests
{
    private static void RequireInit() =>
        Assert.SkipWhen(
            !File.Exists("/usr/bin/tini-static") && TestKit.Requires.Which("catatonit") is null,
            "needs a static init on the host (apt-get install tini)");

    [Fact]
    public async Task Init_is_pid_1_and_the_command_is_not()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        RequireInit();
        var r = env.Run("run", "--rm", "--init", "busybox", "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline; echo; echo pid=$$");
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.StdOut.Split('\n');
        Assert.StartsWith("/sbin/docker-init -- sh -c", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("pid=", lines[1], StringComparison.Ordinal);
        Assert.NotEqual("pid=1", lines[1]);
    }

    [Fact]
    public async Task Init_reaps_zombies_and_passes_the_exit_code_through()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        RequireInit();
        var r = env.Run("run", "--rm", "--init", "busybox", "sh", "-c",
            "sh -c 'sleep 0.2 &'; sleep 1.5; n=0; for s in /proc/[0-9]*/stat; do case \"$(cut -d' ' -f3 $s)\" in Z) n=$((n+1));; esac; done; echo zombies=$n; exit 7");
        Assert.True(r.ExitCode == 7, r.ToString());
        Assert.Equal("zombies=0\n", r.StdOut);
    }

    [Fact]
    public async Task Init_forwards_the_stop_signal_to_the_command()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        RequireInit();
        var name = "init-" + Guid.NewGuid().ToString("N")[..8];
        var r = env.Run("run", "-d", "--init", "--name", name, "busybox", "sh", "-c", "trap 'echo got-term; exit 3' TERM; echo ready; while true; do sleep 0.1; done");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("true\n", env.Run("inspect", "--format", "{{.HostConfig.Init}}", name).StdOut);
        for (var i = 0; i < 100 && !env.Run("logs", name).StdOut.Contains("ready", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.True(env.Run("stop", "-t", "30", name).ExitCode == 0);
        Assert.Equal("3\n", env.Run("inspect", "--format", "{{.State.ExitCode}}", name).StdOut);
        Assert.Equal("ready\ngot-term\n", env.Run("logs", name).StdOut);
        Assert.True(env.Run("rm", name).ExitCode == 0);
        Assert.Empty(env.Mounts());
    }

    [Fact]
    public async Task A_missing_init_binary_is_a_clear_error()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        env.Cli.Environment["GANTRY_INIT_PATH"] = "/nonexistent/tini-static";
        var r = env.Run("run", "--rm", "--init", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("GANTRY_INIT_PATH", r.StdErr, StringComparison.Ordinal);
        Assert.Equal("", env.Run("ps", "-aq").StdOut);
        Assert.Empty(env.Mounts());
    }
}
