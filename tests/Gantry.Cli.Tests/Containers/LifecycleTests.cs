// Owns: end-to-end tests of detached containers: logs, exec, stop (SIGTERM then SIGKILL), inspect, rm.
namespace Gantry.Cli.Tests.Containers;

public sealed class LifecycleTests
{
    [Fact]
    public async Task Detached_with_logs_exec_stop_and_rm()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = "det-" + Guid.NewGuid().ToString("N")[..8];
        var r = env.Run("run", "-d", "--name", name, "busybox", "sh", "-c", "echo hello; echo oops >&2; trap 'echo got-term; exit 0' TERM; while true; do sleep 0.1; done");
        Assert.True(r.ExitCode == 0, r.ToString());
        var id = r.StdOut.Trim();
        Assert.Equal(64, id.Length);
        Assert.Contains(name, env.Run("ps").StdOut, StringComparison.Ordinal);

        var dup = env.Run("run", "-d", "--name", name, "busybox", "true");
        Assert.Equal(125, dup.ExitCode);
        Assert.Contains("is already in use", dup.StdErr, StringComparison.Ordinal);

        var exec = env.Run("exec", "-e", "X=1", name, "sh", "-c", "echo exec-$X; cat /proc/1/cmdline | tr '\\0' ' '");
        Assert.True(exec.ExitCode == 0, exec.ToString());
        Assert.StartsWith("exec-1\n", exec.StdOut, StringComparison.Ordinal);

        var stop = env.Run("stop", name);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        var logs = env.Run("logs", name);
        Assert.Equal("hello\ngot-term\n", logs.StdOut);
        Assert.Equal("oops\n", logs.StdErr);
        Assert.Equal("0\n", env.Run("inspect", "--format", "{{.State.ExitCode}}", name).StdOut);
        Assert.Contains("Exited (0)", env.Run("ps", "-a").StdOut, StringComparison.Ordinal);
        Assert.True(env.Run("rm", name).ExitCode == 0);
        Assert.Empty(env.Mounts());
    }

    [Fact]
    public async Task Rmi_frees_the_unpacked_layers_only_when_no_image_or_container_uses_them()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var layers = Path.Combine(env.Cli.StoreRoot, "snapshots", "layers");
        int Unpacked() => Directory.Exists(layers) ? Directory.GetFileSystemEntries(layers).Length : 0;

        Assert.True(env.Run("run", "--rm", "busybox", "true").ExitCode == 0);
        Assert.Equal(1, Unpacked());
        Assert.True(env.Run("tag", "busybox", "other:1").ExitCode == 0);
        Assert.True(env.Run("create", "--name", "keeper", "busybox", "true").ExitCode == 0);

        Assert.True(env.Run("rmi", "busybox").ExitCode == 0); // other:1 still names the image
        Assert.Equal(1, Unpacked());
        var forced = env.Run("rmi", "-f", "other:1"); // the image goes, the container still holds its layers
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal(1, Unpacked());
        Assert.True(env.Run("rm", "keeper").ExitCode == 0);
        Assert.True(env.Run("image", "prune", "-f").ExitCode == 0);
        Assert.Equal(0, Unpacked());
    }

    [Fact]
    public async Task Stop_kills_after_the_timeout_when_sigterm_is_ignored()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var r = env.Run("run", "-d", "busybox", "sh", "-c", "trap '' TERM; while true; do sleep 0.1; done");
        Assert.True(r.ExitCode == 0, r.ToString());
        var id = r.StdOut.Trim();
        Assert.True(env.Run("stop", "-t", "1", id).ExitCode == 0);
        Assert.Equal("137\n", env.Run("inspect", "--format", "{{.State.ExitCode}}", id).StdOut);
        Assert.True(env.Run("rm", id).ExitCode == 0);
    }

    [Fact]
    public async Task Published_port_reaches_a_server_in_the_container()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var port = 20000 + Random.Shared.Next(20000);
        var r = env.Run("run", "-d", "-p", $"{port}:8080", "busybox", "sh", "-c", "mkdir -p /www; echo hi-from-ctr > /www/index.html; exec httpd -f -p 8080 -h /www");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string? body = null;
        for (var i = 0; i < 100 && body is null; i++)
        {
            try
            {
                body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/index.html"), TestContext.Current.CancellationToken);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        Assert.Equal("hi-from-ctr\n", body);
        Assert.Contains($"0.0.0.0:{port}->8080/tcp", env.Run("ps").StdOut, StringComparison.Ordinal);
        var busy = env.Run("run", "--rm", "-p", $"{port}:80", "busybox", "true");
        Assert.Equal(125, busy.ExitCode);
        Assert.Contains("already in use", busy.StdErr, StringComparison.Ordinal);
        Assert.True(env.Run("rm", "-f", r.StdOut.Trim()).ExitCode == 0);
        Assert.Empty(env.Mounts());
    }
}
