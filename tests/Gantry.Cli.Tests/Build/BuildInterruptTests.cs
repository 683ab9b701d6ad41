// Owns: Ctrl-C (SIGINT) during `gantry build`: exit 130, no container, mount or temp dir left behind, the store intact, the next build works.
using System.Diagnostics;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Build;

public sealed class BuildInterruptTests : IDisposable
{
    private readonly TempDirectory _temp = new("gantry-build-int");

    [Fact]
    public async Task Sigint_during_a_long_run_exits_130_and_leaves_nothing_behind()
    {
        Requires.Root();
        Assert.SkipWhen(Requires.Which("crun") is null && Requires.Which("runc") is null, "needs crun or runc on PATH (apt-get install crun runc)");
        var ct = TestContext.Current.CancellationToken;
        var root = _temp.Combine("root");
        var cli = new GantryCli(root);
        cli.Ok("import", BusyboxRootfs.Get().Tar, "busybox:latest");
        var marker = "gantry-int-" + Guid.NewGuid().ToString("N")[..8];
        var seconds = 3000 + Random.Shared.Next(1000);
        _temp.WriteFile("ctx/Dockerfile", $"""
            FROM busybox
            RUN echo before > /before.txt
            RUN echo {marker} && sleep {seconds}
            """);
        var context = _temp.Combine("ctx");

        var psi = new ProcessStartInfo(GantryCli.Executable, ["build", "--progress", "plain", "-t", "interrupted", context])
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var (k, v) in cli.Environment)
        {
            psi.Environment[k] = v;
        }

        using var build = Process.Start(psi)!;
        var stderr = new System.Text.StringBuilder();
        var sawMarker = new TaskCompletionSource();
        build.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }

            if (e.Data.EndsWith(marker, StringComparison.Ordinal))
            {
                sawMarker.TrySetResult();
            }
        };
        build.BeginErrorReadLine();
        _ = build.StandardOutput.ReadToEndAsync(ct);
        try
        {
            await sawMarker.Task.WaitAsync(TimeSpan.FromMinutes(3), ct);
            Assert.NotEmpty(SleepProcesses());

            Assert.Equal(0, ProcessRunner.Run("kill", ["-INT", build.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);
            await build.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromMinutes(1), ct);
        }
        finally
        {
            if (!build.HasExited)
            {
                build.Kill(entireProcessTree: true);
            }
        }

        Assert.True(build.ExitCode == 130, $"exit {build.ExitCode}: {stderr}");
        Assert.Empty(SleepProcesses());
        Assert.DoesNotContain(File.ReadAllLines("/proc/mounts"), l => l.Contains(root, StringComparison.Ordinal));
        var tmp = Path.Combine(root, "tmp");
        Assert.True(!Directory.Exists(tmp) || !Directory.EnumerateFileSystemEntries(tmp).Any(), "left in tmp: " + (Directory.Exists(tmp) ? string.Join(", ", Directory.EnumerateFileSystemEntries(tmp)) : string.Empty));
        Assert.DoesNotContain("interrupted", cli.Ok("images"), StringComparison.Ordinal);

        // The store is intact and the step that finished stays cached.
        _temp.WriteFile("ctx/Dockerfile", """
            FROM busybox
            RUN echo before > /before.txt
            RUN cat /before.txt > /after.txt
            """);
        var next = cli.Run(["build", "--progress", "plain", "-t", "after-interrupt", context], null, null, TimeSpan.FromMinutes(5));
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Contains("RUN echo before > /before.txt", next.StdErr, StringComparison.Ordinal);
        Assert.Single(next.StdErr.Split('\n'), l => l.EndsWith(" CACHED", StringComparison.Ordinal));
        var run = cli.Run(["run", "--rm", "after-interrupt", "cat", "/after.txt"], null, null, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("before\n", run.StdOut);

        // The RUN's `sleep N` (N unique to this test) is the container's process.
        IReadOnlyList<int> SleepProcesses() => Directory.EnumerateDirectories("/proc")
            .Select(d => (Pid: int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0, Dir: d))
            .Where(p => p.Pid > 0 && ReadCmdline(p.Dir) == $"sleep\u0000{seconds}\u0000")
            .Select(p => p.Pid)
            .ToList();
    }

    private static string ReadCmdline(string procDir)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procDir, "cmdline"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    public void Dispose() => _temp.Dispose();
}
