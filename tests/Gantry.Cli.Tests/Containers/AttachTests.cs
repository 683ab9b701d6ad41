// Owns: end-to-end tests of detached containers with a tty (-dt, -dit), `gantry attach` (stdin, detach keys, exit code) and `start -a [-i]`.
namespace Gantry.Cli.Tests.Containers;

public sealed class AttachTests
{
    private static string Name(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Detached_tty_container_logs_its_pty_output()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = Name("dt");
        var r = env.Run("run", "-dt", "--name", name, "busybox", "sh", "-c", "tty; echo out-$((1+1))");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("0\n", env.Run("wait", name).StdOut);
        var logs = env.Run("logs", name).StdOut;
        Assert.Contains("/dev/pts/0", logs, StringComparison.Ordinal);
        Assert.Contains("out-2", logs, StringComparison.Ordinal);
        Assert.Equal("true\n", env.Run("inspect", "--format", "{{.Config.Tty}}", name).StdOut);
        Assert.True(env.Run("rm", name).ExitCode == 0);
        Assert.Empty(env.Mounts());
    }

    [Fact]
    public async Task Attach_to_a_detached_interactive_tty_container_sends_stdin_and_returns_the_exit_code()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = Name("dit");
        var r = env.Run("run", "-dit", "--name", name, "busybox", "sh");
        Assert.True(r.ExitCode == 0, r.ToString());
        var attach = env.Cli.Run(["attach", name], null, "echo hi-$((40+2))\nexit 5\n", TimeSpan.FromMinutes(2));
        Assert.True(attach.ExitCode == 5, attach.ToString());
        Assert.Contains("hi-42", attach.StdOut, StringComparison.Ordinal);
        Assert.Contains("hi-42", env.Run("logs", name).StdOut, StringComparison.Ordinal);
        Assert.Equal("5\n", env.Run("inspect", "--format", "{{.State.ExitCode}}", name).StdOut);
        Assert.True(env.Run("rm", name).ExitCode == 0);
    }

    [Fact]
    public async Task Detach_keys_leave_the_container_running()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = Name("keys");
        Assert.True(env.Run("run", "-dit", "--name", name, "busybox", "sh").ExitCode == 0);
        var attach = env.Cli.Run(["attach", name], null, "\u0010\u0011", TimeSpan.FromMinutes(2));
        Assert.True(attach.ExitCode == 0, attach.ToString());
        Assert.Contains("read escape sequence", attach.StdErr, StringComparison.Ordinal);
        Assert.Equal("true\n", env.Run("inspect", "--format", "{{.State.Running}}", name).StdOut);

        // custom keys: ctrl-a then x
        var custom = env.Cli.Run(["attach", "--detach-keys", "ctrl-a,x", name], null, "\u0001x", TimeSpan.FromMinutes(2));
        Assert.True(custom.ExitCode == 0, custom.ToString());
        Assert.Equal("true\n", env.Run("inspect", "--format", "{{.State.Running}}", name).StdOut);

        var bad = env.Run("attach", "--detach-keys", "ctrl-", name);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("Invalid detach keys", bad.StdErr, StringComparison.Ordinal);
        Assert.True(env.Run("rm", "-f", name).ExitCode == 0);
        Assert.Empty(env.Mounts());
    }

    [Fact]
    public async Task Attach_to_a_detached_interactive_container_without_tty()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = Name("di");
        Assert.True(env.Run("run", "-di", "--name", name, "busybox", "sh").ExitCode == 0);
        var attach = env.Cli.Run(["attach", name], null, "echo from-stdin; echo to-err >&2\nexit 4\n", TimeSpan.FromMinutes(2));
        Assert.True(attach.ExitCode == 4, attach.ToString());
        Assert.Equal("from-stdin\n", attach.StdOut);
        Assert.Equal("to-err\n", attach.StdErr);
        Assert.True(env.Run("rm", name).ExitCode == 0);
    }

    [Fact]
    public async Task Attach_no_stdin_streams_output_until_the_exit()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var name = Name("ns");
        var shared = env.Temp.Combine("shared");
        Directory.CreateDirectory(shared);
        var r = env.Run("run", "-d", "--name", name, "-v", shared + ":/w", "busybox", "sh", "-c", "until [ -f /w/go ]; do sleep 0.1; done; echo late; exit 6");
        Assert.True(r.ExitCode == 0, r.ToString());
        var before = AttachSocketEntries();
        var attach = env.Cli.RunAsync(["attach", "--no-stdin", name], null, null, TimeSpan.FromMinutes(2), ct);

        // The container prints only once this attach is connected (the monitor's accepted socket shows in /proc/net/unix).
        for (var i = 0; i < 1200 && AttachSocketEntries() <= before && !attach.IsCompleted; i++)
        {
            await Task.Delay(50, ct);
        }

        await File.WriteAllTextAsync(Path.Combine(shared, "go"), "", ct);
        var result = await attach;
        Assert.True(result.ExitCode == 6, result.ToString());
        Assert.Equal("late\n", result.StdOut);
        var stopped = env.Run("attach", name);
        Assert.NotEqual(0, stopped.ExitCode);
        Assert.Contains("cannot attach to a stopped container", stopped.StdErr, StringComparison.Ordinal);
        Assert.True(env.Run("rm", name).ExitCode == 0);
    }

    private static int AttachSocketEntries() => File.ReadAllLines("/proc/net/unix").Count(l => l.EndsWith("/attach.sock", StringComparison.Ordinal));

    [Fact]
    public async Task Start_attach_interactive_uses_the_monitor_and_misses_no_output()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = Name("sa");
        Assert.True(env.Run("create", "-i", "--name", name, "busybox", "sh", "-c", "echo first; read x; echo got-$x; exit 3").ExitCode == 0);
        var start = env.Cli.Run(["start", "-a", "-i", name], null, "abc\n", TimeSpan.FromMinutes(2));
        Assert.True(start.ExitCode == 3, start.ToString());
        Assert.Equal("first\ngot-abc\n", start.StdOut);

        var plain = Name("sa2");
        Assert.True(env.Run("create", "--name", plain, "busybox", "sh", "-c", "echo out; echo err >&2; exit 2").ExitCode == 0);
        var again = env.Run("start", "-a", plain);
        Assert.True(again.ExitCode == 2, again.ToString());
        Assert.Equal("out\n", again.StdOut);
        Assert.Equal("err\n", again.StdErr);
        Assert.True(env.Run("rm", name, plain).ExitCode == 0);
        Assert.Empty(env.Mounts());
    }

    [Fact]
    public async Task Run_tty_without_a_terminal_goes_through_the_monitor_and_cleans_up()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var r = env.Run("run", "--rm", "-t", "busybox", "sh", "-c", "tty; exit 9");
        Assert.True(r.ExitCode == 9, r.ToString());
        Assert.Contains("/dev/pts/0", r.StdOut, StringComparison.Ordinal);
        Assert.Equal("", env.Run("ps", "-aq").StdOut);
        Assert.Empty(env.Mounts());
    }
}
