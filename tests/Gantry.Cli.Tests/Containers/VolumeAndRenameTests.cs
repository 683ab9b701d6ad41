// Owns: tests of `gantry volume` verbs, `rename`, `port` and `container ls`.
namespace Gantry.Cli.Tests.Containers;

public sealed class VolumeAndRenameTests
{
    [Fact]
    public async Task Volume_create_ls_inspect_rm_and_rename_port()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        Assert.Equal("data1\n", env.Run("volume", "create", "data1").StdOut);
        Assert.Contains("data1", env.Run("volume", "ls").StdOut, StringComparison.Ordinal);
        Assert.EndsWith("/volumes/data1/_data\n", env.Run("volume", "inspect", "-f", "{{.Mountpoint}}", "data1").StdOut, StringComparison.Ordinal);
        var port = 20000 + Random.Shared.Next(20000);
        var id = env.Run("run", "-d", "--name", "first", "-p", $"{port}:80", "-v", "data1:/d", "busybox", "sleep", "60").StdOut.Trim();
        Assert.Equal(64, id.Length);
        var inUse = env.Run("volume", "rm", "data1");
        Assert.NotEqual(0, inUse.ExitCode);
        Assert.Contains("in use", inUse.StdErr, StringComparison.Ordinal);
        Assert.Equal(0, env.Run("rename", "first", "second").ExitCode);
        Assert.Equal($"80/tcp -> 0.0.0.0:{port}\n", env.Run("port", "second").StdOut);
        Assert.Contains("second", env.Run("container", "ls").StdOut, StringComparison.Ordinal);
        Assert.Equal(0, env.Run("rm", "-f", "second").ExitCode);
        Assert.Equal("data1\n", env.Run("volume", "rm", "data1").StdOut);
        Assert.Empty(env.Mounts());
    }
}
