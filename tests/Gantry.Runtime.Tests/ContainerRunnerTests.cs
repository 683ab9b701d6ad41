// Owns: tests of the foreground ContainerRunner API on real crun/runc with a busybox rootfs.
using Gantry.TestKit;

namespace Gantry.Runtime.Tests;

public sealed class ContainerRunnerTests
{
    [Fact]
    public async Task Exit_code_and_separate_stdout_stderr()
    {
        using var temp = new TempDirectory();
        var rootfs = RuntimeFixture.Rootfs(temp);
        var (exit, stdout, stderr) = await RuntimeFixture.RunAsync(new RunSpec { RootfsPath = rootfs, Args = ["sh", "-c", "echo out; echo err >&2; exit 3"] });
        Assert.Equal(3, exit);
        Assert.Equal("out\n", stdout);
        Assert.Equal("err\n", stderr);
    }

    [Fact]
    public async Task Env_workdir_user_and_stdin()
    {
        using var temp = new TempDirectory();
        var rootfs = RuntimeFixture.Rootfs(temp);
        var spec = new RunSpec
        {
            RootfsPath = rootfs,
            Args = ["sh", "-c", "echo $FOO; pwd; id -u; id -g; echo $HOME; cat"],
            Env = ["FOO=bar"],
            WorkingDir = "/work/dir",
            User = "user",
        };
        var (exit, stdout, _) = await RuntimeFixture.RunAsync(spec, stdin: "from-stdin\n");
        Assert.Equal(0, exit);
        Assert.Equal("bar\n/work/dir\n1000\n1000\n/home/user\nfrom-stdin\n", stdout);
    }

    [Fact]
    public async Task Numeric_user_and_group()
    {
        using var temp = new TempDirectory();
        var rootfs = RuntimeFixture.Rootfs(temp);
        var (exit, stdout, _) = await RuntimeFixture.RunAsync(new RunSpec { RootfsPath = rootfs, Args = ["sh", "-c", "id -u; id -g"], User = "4242:65534" });
        Assert.Equal(0, exit);
        Assert.Equal("4242\n65534\n", stdout);
    }

    [Fact]
    public async Task Missing_command_throws_127_and_leaves_nothing()
    {
        using var temp = new TempDirectory();
        var rootfs = RuntimeFixture.Rootfs(temp);
        var before = Directory.GetFileSystemEntries(rootfs).Order().ToArray();
        var ex = await Assert.ThrowsAsync<CommandNotFoundException>(() => RuntimeFixture.RunAsync(new RunSpec { RootfsPath = rootfs, Args = ["foo"] }));
        Assert.Equal(127, ex.ExitCode);
        Assert.Equal("exec: \"foo\": executable file not found in $PATH", ex.Message);
        Assert.Equal(before, Directory.GetFileSystemEntries(rootfs).Order().ToArray());
    }

    [Fact]
    public async Task Bind_mounts_ro_and_rw_and_tmpfs()
    {
        using var temp = new TempDirectory();
        var rootfs = RuntimeFixture.Rootfs(temp);
        var data = temp.Combine("data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "in.txt"), "hello\n");
        var ro = temp.Combine("ro");
        Directory.CreateDirectory(ro);
        var spec = new RunSpec
        {
            RootfsPath = rootfs,
            Args = ["sh", "-c", "cat /data/in.txt; echo written > /data/out.txt; touch /ro/x 2>/dev/null || echo ro-ok; echo t > /scratch/t && cat /scratch/t"],
            Mounts = [MountSpec.Bind(data, "/data"), MountSpec.Bind(ro, "/ro", readOnly: true), MountSpec.Tmpfs("/scratch")],
        };
        var (exit, stdout, stderr) = await RuntimeFixture.RunAsync(spec);
        Assert.True(exit == 0, stderr);
        Assert.Equal("hello\nro-ok\nt\n", stdout);
        Assert.Equal("written\n", File.ReadAllText(Path.Combine(data, "out.txt")));
        Assert.False(Directory.Exists(Path.Combine(rootfs, "data")), "mount-point stubs are removed after a foreground run");
        Assert.False(Directory.Exists(Path.Combine(rootfs, "scratch")));
    }

    [Fact]
    public async Task Missing_bind_source_is_a_clear_error()
    {
        using var temp = new TempDirectory();
        var rootfs = RuntimeFixture.Rootfs(temp);
        var missing = temp.Combine("nope");
        var ex = await Assert.ThrowsAsync<Gantry.Oci.GantryException>(() => RuntimeFixture.RunAsync(new RunSpec { RootfsPath = rootfs, Args = ["true"], Mounts = [MountSpec.Bind(missing, "/x")] }));
        Assert.Contains("bind source path does not exist", ex.Message, StringComparison.Ordinal);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Etc_files_are_bind_mounted_not_written_into_rootfs()
    {
        using var temp = new TempDirectory();
        var rootfs = RuntimeFixture.Rootfs(temp);
        var (exit, stdout, stderr) = await RuntimeFixture.RunAsync(new RunSpec
        {
            RootfsPath = rootfs,
            Args = ["sh", "-c", "hostname; cat /etc/hostname; grep -c myhost /etc/hosts; grep extra /etc/hosts"],
            Network = NetworkMode.None,
            Hostname = "myhost",
            ExtraHosts = [new("extra", "10.1.2.3")],
        });
        Assert.True(exit == 0, stderr);
        Assert.Equal("myhost\nmyhost\n0\n10.1.2.3\textra\n", stdout);
        Assert.False(File.Exists(Path.Combine(rootfs, "etc", "hostname")));
        Assert.False(File.Exists(Path.Combine(rootfs, "etc", "hosts")));
        Assert.False(File.Exists(Path.Combine(rootfs, "etc", "resolv.conf")));
    }

    [Fact]
    public async Task Default_capabilities_and_masked_paths()
    {
        using var temp = new TempDirectory();
        var rootfs = RuntimeFixture.Rootfs(temp);
        var (exit, stdout, stderr) = await RuntimeFixture.RunAsync(new RunSpec
        {
            RootfsPath = rootfs,
            Args = ["sh", "-c", "grep CapEff /proc/self/status; wc -c < /proc/timer_list; echo 1 > /proc/sys/kernel/domainname 2>/dev/null || echo ro"],
        });
        Assert.True(exit == 0, stderr);
        Assert.Contains("CapEff:\t00000000a80425fb", stdout, StringComparison.Ordinal);
        Assert.Contains("\n0\n", stdout, StringComparison.Ordinal);
        Assert.EndsWith("ro\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_kills_the_container()
    {
        using var temp = new TempDirectory();
        var rootfs = RuntimeFixture.Rootfs(temp);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var o = new MemoryStream();
        using var e = new MemoryStream();
        var run = ContainerRunner.RunAsync(new RunSpec { RootfsPath = rootfs, Args = ["sh", "-c", "echo started; sleep 300"] }, null, o, e, cts.Token);
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }
}
