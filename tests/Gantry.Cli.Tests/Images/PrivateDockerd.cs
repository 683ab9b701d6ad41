// Owns: a throwaway dockerd for interop tests: private data/exec roots, pidfile and unix socket, no networking, vfs; stopped cleanly.
using System.Diagnostics;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Images;

/// <summary>
/// Starts <c>dockerd</c> (docker.io 20.10) with everything under a temp folder: <c>--data-root</c>, <c>--exec-root</c>,
/// <c>--pidfile</c>, <c>-H unix://…/docker.sock</c>, <c>--bridge=none --iptables=false --ip-masq=false</c> and the vfs
/// storage driver (no mounts of its own). Dispose sends SIGTERM, waits for it (and the containerd it started) to exit, and
/// checks nothing is left mounted below the folder.
/// </summary>
internal sealed class PrivateDockerd : IDisposable
{
    private readonly Process _process;

    private PrivateDockerd(TempDirectory dir, Process process, string docker)
    {
        Dir = dir;
        _process = process;
        DockerClient = docker;
    }

    public TempDirectory Dir { get; }

    public string DockerClient { get; }

    public string Host => "unix://" + Dir.Combine("docker.sock");

    /// <summary>Skips (with the reason) unless root with dockerd and a docker client; otherwise starts dockerd and waits until it answers.</summary>
    public static PrivateDockerd Start()
    {
        Requires.Root();
        var dockerd = Requires.Command("dockerd", "docker.io");
        var docker = Requires.Command("docker", "docker.io");
        var dir = new TempDirectory("gantry-dockerd");
        var psi = new ProcessStartInfo(dockerd)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
                 {
                     "--data-root", dir.Combine("data"), "--exec-root", dir.Combine("exec"), "--pidfile", dir.Combine("docker.pid"),
                     "-H", "unix://" + dir.Combine("docker.sock"), "--bridge=none", "--iptables=false", "--ip-masq=false",
                     "--storage-driver", "vfs", "--log-level", "warn",
                 })
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dockerd");
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var daemon = new PrivateDockerd(dir, process, docker);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (process.HasExited)
            {
                daemon.Dispose();
                string text;
                lock (log)
                {
                    text = log.ToString();
                }

                throw new InvalidOperationException($"dockerd exited with {process.ExitCode} before answering:\n{text}");
            }

            if (daemon.Docker("version", "--format", "{{.Server.Version}}").ExitCode == 0)
            {
                return daemon;
            }

            if (DateTime.UtcNow > deadline)
            {
                daemon.Dispose();
                throw new TimeoutException("dockerd did not answer within 90 seconds");
            }

            Thread.Sleep(250);
        }
    }

    /// <summary>Runs the docker client against this daemon.</summary>
    public ProcessResult Docker(params string[] args) =>
        ProcessRunner.Run(DockerClient, ["-H", Host, .. args], timeout: TimeSpan.FromMinutes(2));

    /// <summary>Runs the docker client and asserts success; returns stdout.</summary>
    public string Ok(params string[] args)
    {
        var r = Docker(args);
        Assert.True(r.ExitCode == 0, $"docker {string.Join(' ', args)} failed: {r}");
        return r.StdOut;
    }

    /// <summary>SIGTERM, then waits for dockerd (which stops its containerd) to exit; SIGKILL only if it hangs.</summary>
    public void Stop()
    {
        if (_process.HasExited)
        {
            return;
        }

        ProcessRunner.Run("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (!_process.WaitForExit(TimeSpan.FromSeconds(45)))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
    }

    public void Dispose()
    {
        try
        {
            Stop();
        }
        finally
        {
            _process.Dispose();
            Dir.Dispose();
        }
    }

    /// <summary>PIDs of processes still running with this daemon's folder on their command line (e.g. its containerd).</summary>
    public int[] StrayProcesses()
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(Dir.FullPath, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return [.. found];
    }

    /// <summary>Mount points below the daemon's folder (none once it has stopped cleanly).</summary>
    public string[] Mounts() => [.. File.ReadAllLines("/proc/mounts").Where(l => l.Contains(Dir.FullPath, StringComparison.Ordinal))];
}
