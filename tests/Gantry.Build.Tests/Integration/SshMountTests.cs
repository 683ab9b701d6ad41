// Owns: RUN --mount=type=ssh: key files loaded into a private agent, a forwarded running agent, uid/mode/target, required=true without --ssh.
using System.Diagnostics;
using Gantry.Oci;
using Gantry.TestKit;

namespace Gantry.Build.Tests.Integration;

public sealed class SshMountTests
{
    [Fact]
    public async Task Key_files_are_served_by_an_agent_that_ssh_add_in_the_container_lists()
    {
        using var h = await BuildHarness.CreateAsync();
        var (key, fingerprint) = await NewKeyAsync(h);
        CopySshAddInto(Path.Combine(h.Context, "hostbin"));
        var result = await h.BuildAsync("""
            FROM busybox
            RUN --mount=type=ssh --mount=type=bind,source=hostbin,target=/h /h/ld.so --library-path /h /h/ssh-add -l > /keys.txt && echo "$SSH_AUTH_SOCK" > /sock.txt
            """, o => o with { Ssh = new Dictionary<string, IReadOnlyList<string>> { ["default"] = [key] } });
        var fs = await h.UnpackAsync(result);
        Assert.Contains(fingerprint, File.ReadAllText(Path.Combine(fs, "keys.txt")), StringComparison.Ordinal);
        Assert.Equal("/run/buildkit/ssh_agent.0\n", File.ReadAllText(Path.Combine(fs, "sock.txt")));
        Assert.False(Directory.Exists(Path.Combine(fs, "run/buildkit")), "the socket mount point must not end up in the layer");
    }

    [Fact]
    public async Task A_running_agent_is_forwarded_with_the_mounts_target_uid_and_mode()
    {
        using var h = await BuildHarness.CreateAsync();
        var (key, fingerprint) = await NewKeyAsync(h);
        CopySshAddInto(Path.Combine(h.Context, "hostbin"));
        var agentSocket = Path.Combine(h.Root, "..", "agent.sock");
        using var agent = Process.Start(new ProcessStartInfo("ssh-agent", ["-D", "-a", agentSocket]) { UseShellExecute = false, RedirectStandardOutput = true })!;
        try
        {
            for (var i = 0; i < 500 && !File.Exists(agentSocket); i++)
            {
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }

            var add = await ProcessRunner.RunAsync("ssh-add", [key], env: new Dictionary<string, string?> { ["SSH_AUTH_SOCK"] = agentSocket }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(add.ExitCode == 0, add.Output);
            var result = await h.BuildAsync("""
                FROM busybox
                RUN --mount=type=ssh,id=deploy,target=/tmp/agent.sock,uid=1000,gid=1001,mode=0660 --mount=type=bind,source=hostbin,target=/h \
                    stat -c '%u %g %a %F' /tmp/agent.sock > /stat.txt && echo "$SSH_AUTH_SOCK" > /sock.txt && /h/ld.so --library-path /h /h/ssh-add -l > /keys.txt
                """, o => o with { Ssh = new Dictionary<string, IReadOnlyList<string>> { ["deploy"] = [agentSocket] } });
            var fs = await h.UnpackAsync(result);
            Assert.Equal("1000 1001 660 socket\n", File.ReadAllText(Path.Combine(fs, "stat.txt")));
            Assert.Equal("/tmp/agent.sock\n", File.ReadAllText(Path.Combine(fs, "sock.txt")));
            Assert.Contains(fingerprint, File.ReadAllText(Path.Combine(fs, "keys.txt")), StringComparison.Ordinal);
        }
        finally
        {
            agent.Kill();
            await agent.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task A_required_ssh_mount_without_ssh_fails_clearly_and_an_optional_one_is_skipped()
    {
        using var h = await BuildHarness.CreateAsync();
        var ex = await Assert.ThrowsAnyAsync<GantryException>(() => h.BuildAsync("""
            FROM busybox
            RUN --mount=type=ssh,required=true echo never
            """));
        Assert.Contains("--ssh default", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Dockerfile:2", ex.Message, StringComparison.Ordinal);

        var result = await h.BuildAsync("""
            FROM busybox
            RUN --mount=type=ssh test -z "$SSH_AUTH_SOCK" && test ! -e /run/buildkit/ssh_agent.0 && echo skipped > /ok.txt
            """);
        Assert.Equal("skipped\n", File.ReadAllText(Path.Combine(await h.UnpackAsync(result), "ok.txt")));
    }

    private static async Task<(string Key, string Fingerprint)> NewKeyAsync(BuildHarness h)
    {
        Assert.SkipWhen(Requires.Which("ssh-agent") is null || Requires.Which("ssh-keygen") is null, "needs openssh-client (apt-get install openssh-client)");
        var key = Path.Combine(h.Root, "..", "id_test");
        var gen = await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "gantry-test", "-f", key], cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(gen.ExitCode == 0, gen.Output);
        var fp = await ProcessRunner.RunAsync("ssh-keygen", ["-l", "-f", key + ".pub"], cancellationToken: TestContext.Current.CancellationToken);
        return (Path.GetFullPath(key), fp.StdOut.Split(' ')[1]);
    }

    /// <summary>The host's dynamically linked ssh-add with its libraries and loader, runnable inside busybox as /h/ld.so --library-path /h /h/ssh-add.</summary>
    private static void CopySshAddInto(string dir)
    {
        Directory.CreateDirectory(dir);
        var sshAdd = Requires.Which("ssh-add")!;
        File.Copy(sshAdd, Path.Combine(dir, "ssh-add"));
        var ldd = ProcessRunner.Run("ldd", [sshAdd]);
        foreach (var line in ldd.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var path = line.Split(' ').FirstOrDefault(p => p.StartsWith('/'));
            if (path is null)
            {
                continue;
            }

            var name = line.Contains("ld-linux", StringComparison.Ordinal) ? "ld.so" : Path.GetFileName(path);
            File.Copy(path, Path.Combine(dir, name), overwrite: true);
        }
    }
}
