// Owns: end-to-end tests of `gantry run` and the container lifecycle verbs on real crun/runc with a busybox image.
namespace Gantry.Cli.Tests.Containers;

public sealed class RunTests
{
    [Fact]
    public async Task Run_propagates_exit_code_and_separates_streams_and_rm_cleans_up()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var r = env.Run("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 7");
        Assert.Equal(7, r.ExitCode);
        Assert.Equal("out\n", r.StdOut);
        Assert.Equal("err\n", r.StdErr);
        Assert.Empty(env.Mounts());
        Assert.Equal("", env.Run("ps", "-aq").StdOut);
    }

    [Fact]
    public async Task Run_env_workdir_user_and_command_flags_reach_the_container()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var r = env.Run("run", "--rm", "-e", "FOO=bar", "-w", "/srv", "-u", "user", "busybox", "sh", "-c", "echo $FOO $(pwd) $(id -u); ls -d /srv");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("bar /srv 1000\n/srv\n", r.StdOut);
    }

    [Fact]
    public async Task Command_not_found_exits_127_and_leaves_nothing()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var r = env.Run("run", "--rm", "busybox", "foo");
        Assert.Equal(127, r.ExitCode);
        Assert.Contains("exec: \"foo\": executable file not found in $PATH", r.StdErr, StringComparison.Ordinal);
        Assert.Equal("", env.Run("ps", "-aq").StdOut);
        Assert.Empty(env.Mounts());
    }

    [Fact]
    public async Task Missing_image_and_missing_bind_source_are_clear_errors()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var r = env.Run("run", "--rm", "--pull", "never", "nosuchimage", "true");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("No such image: nosuchimage:latest", r.StdErr, StringComparison.Ordinal);
        var missing = env.Temp.Combine("missing-dir");
        r = env.Run("run", "--rm", "-v", missing + ":/data", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("bind source path does not exist: " + missing, r.StdErr, StringComparison.Ordinal);
        Assert.Equal("", env.Run("ps", "-aq").StdOut);
        Assert.Empty(env.Mounts());
    }

    [Fact]
    public async Task Bind_mounts_and_named_volumes()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var host = env.Temp.Combine("host");
        Directory.CreateDirectory(host);
        File.WriteAllText(Path.Combine(host, "a.txt"), "from-host\n");
        var r = env.Run("run", "--rm", "-v", host + ":/h", "-v", "myvol:/v", "busybox", "sh", "-c", "cat /h/a.txt; echo persisted > /v/f; echo w > /h/b.txt");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("from-host\n", r.StdOut);
        Assert.Equal("w\n", File.ReadAllText(Path.Combine(host, "b.txt")));
        r = env.Run("run", "--rm", "-v", "myvol:/v:ro", "busybox", "sh", "-c", "cat /v/f; touch /v/g || echo ro");
        Assert.Contains("persisted\n", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("ro\n", r.StdOut, StringComparison.Ordinal);
    }
}
