// Owns: end-to-end tests of `gantry top`, `gantry cp` (both directions, running and stopped, tar streams, escapes) and `gantry stats`.
using System.Formats.Tar;
using System.Text.Json;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Containers;

public sealed class TopCpStatsTests
{
    [Fact]
    public async Task Top_lists_the_containers_processes_and_refuses_a_stopped_container()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = "top-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, env.Run("run", "-d", "--name", name, "busybox", "sleep", "1000").ExitCode);

        var top = env.Run("top", name);
        Assert.True(top.ExitCode == 0, top.ToString());
        var lines = top.StdOut.TrimEnd('\n').Split('\n');
        Assert.Equal(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var row = Assert.Single(lines[1..]);
        Assert.EndsWith("sleep 1000", row, StringComparison.Ordinal);
        Assert.StartsWith("root ", row, StringComparison.Ordinal);
        var pid = env.Run("inspect", "--format", "{{.State.Pid}}", name).StdOut.Trim();
        Assert.Equal(pid, row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

        var custom = env.Run("container", "top", name, "-o", "pid,comm");
        Assert.True(custom.ExitCode == 0, custom.ToString());
        Assert.Equal($"PID                 COMMAND\n{pid.PadRight(20)}sleep\n", custom.StdOut);

        Assert.Equal(0, env.Run("stop", "-t", "0", name).ExitCode);
        var stopped = env.Run("top", name);
        Assert.NotEqual(0, stopped.ExitCode);
        Assert.Contains("is not running", stopped.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cp_both_directions_on_running_and_stopped_containers_with_volumes_and_tar_streams()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = "cp-" + Guid.NewGuid().ToString("N")[..8];
        var vol = env.Temp.Combine("vol");
        Directory.CreateDirectory(vol);
        Assert.Equal(0, env.Run("run", "-d", "--name", name, "-v", vol + ":/vol", "busybox", "sleep", "1000").ExitCode);
        var local = env.Temp.Combine("local");
        Directory.CreateDirectory(local);
        var payload = env.Temp.WriteFile("local/payload.txt", "payload\n");

        // running: host -> container (into a dir, onto a new name, into a volume), container -> host
        var cp = env.Run("cp", payload, name + ":/tmp/");
        Assert.True(cp.ExitCode == 0, cp.ToString());
        Assert.Equal("Successfully copied 8B to " + name + ":/tmp/\n", cp.StdErr);
        Assert.Equal(0, env.Run("cp", "-q", payload, name + ":/vol/in-volume.txt").ExitCode);
        Assert.Equal("payload\n", File.ReadAllText(Path.Combine(vol, "in-volume.txt")));
        Assert.Equal("payload\n", env.Run("exec", name, "cat", "/tmp/payload.txt").StdOut);
        Assert.Equal("0:0\n", env.Run("exec", name, "stat", "-c", "%u:%g", "/tmp/payload.txt").StdOut);
        Assert.Equal(0, env.Run("exec", name, "sh", "-c", "mkdir -p /data/sub && echo inner > /data/sub/f && echo made-at-runtime > /data/g").ExitCode);
        Assert.Equal(0, env.Run("cp", name + ":/data", Path.Combine(local, "data-copy")).ExitCode);
        Assert.Equal("inner\n", File.ReadAllText(Path.Combine(local, "data-copy", "sub", "f")));
        Assert.Equal(0, env.Run("cp", name + ":/data/.", local).ExitCode);
        Assert.Equal("made-at-runtime\n", File.ReadAllText(Path.Combine(local, "g")));

        // tar streams: out on stdout, in from stdin
        var tarPath = env.Temp.Combine("etc.tar");
        var exe = GantryCli.Executable;
        var sh = ProcessRunner.Run("sh", ["-c", $"'{exe}' --root '{env.Cli.StoreRoot}' cp {name}:/data - > '{tarPath}'"]);
        Assert.True(sh.ExitCode == 0, sh.ToString());
        var names = new List<string>();
        using (var fs = File.OpenRead(tarPath))
        using (var reader = new TarReader(fs))
        {
            while (reader.GetNextEntry() is { } e)
            {
                names.Add(e.Name);
            }
        }

        Assert.Equal(["data/", "data/g", "data/sub/", "data/sub/f"], names);
        Assert.Equal(0, env.Run("exec", name, "mkdir", "/restore").ExitCode);
        sh = ProcessRunner.Run("sh", ["-c", $"'{exe}' --root '{env.Cli.StoreRoot}' cp - {name}:/restore < '{tarPath}'"]);
        Assert.True(sh.ExitCode == 0, sh.ToString());
        Assert.Equal("inner\n", env.Run("exec", name, "cat", "/restore/data/sub/f").StdOut);

        // stopped: the rootfs (and the volume) are mounted for the copy and unmounted after
        Assert.Equal(0, env.Run("stop", "-t", "0", name).ExitCode);
        Assert.Equal(0, env.Run("cp", name + ":/tmp/payload.txt", Path.Combine(local, "from-stopped")).ExitCode);
        Assert.Equal("payload\n", File.ReadAllText(Path.Combine(local, "from-stopped")));
        Assert.Equal(0, env.Run("cp", payload, name + ":/restore/while-stopped").ExitCode);
        Assert.Equal(0, env.Run("cp", payload, name + ":/vol/stopped-volume.txt").ExitCode);
        Assert.Equal("payload\n", File.ReadAllText(Path.Combine(vol, "stopped-volume.txt")));
        Assert.Empty(env.Mounts());
        Assert.Equal(0, env.Run("start", name).ExitCode);
        Assert.Equal("payload\n", env.Run("exec", name, "cat", "/restore/while-stopped").StdOut);

        // docker's errors
        var missing = env.Run("cp", name + ":/no/such", local);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("Could not find the file /no/such in container " + name, missing.StdErr, StringComparison.Ordinal);
        var noParent = env.Run("cp", payload, name + ":/no/such/file");
        Assert.NotEqual(0, noParent.ExitCode);
        Assert.Contains("Could not find the file /no/such in container", noParent.StdErr, StringComparison.Ordinal);
        var both = env.Run("cp", payload, local);
        Assert.Contains("must specify at least one container source", both.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cp_never_reads_or_writes_host_files_through_symlinks_planted_in_the_container()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = "esc-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, env.Run("run", "-d", "--name", name, "busybox", "sleep", "1000").ExitCode);
        Assert.Equal(0, env.Run("exec", name, "sh", "-c", "ln -s / /toroot && ln -s ../../../../../../.. /up").ExitCode);
        var hostSecretDir = env.Temp.Combine("secret-dir");
        env.Temp.WriteFile("secret-dir/secret", "host only");
        var payload = env.Temp.WriteFile("payload", "x");

        foreach (var running in new[] { true, false })
        {
            foreach (var link in new[] { "/toroot", "/up" })
            {
                var read = env.Run("cp", $"{name}:{link}{hostSecretDir}/secret", env.Temp.Combine("leak"));
                Assert.NotEqual(0, read.ExitCode);
                Assert.False(File.Exists(env.Temp.Combine("leak")));

                var planted = $"planted-{link.Trim('/')}-{running}";
                var write = env.Run("cp", payload, $"{name}:{link}{hostSecretDir}/{planted}");
                Assert.NotEqual(0, write.ExitCode); // the directory does not exist inside the container
                Assert.False(File.Exists(Path.Combine(hostSecretDir, planted)));
                Assert.Equal(0, env.Run("cp", payload, $"{name}:{link}/tmp/{planted}").ExitCode);
                Assert.False(File.Exists("/tmp/" + planted));
            }

            if (running)
            {
                Assert.Equal(0, env.Run("stop", "-t", "0", name).ExitCode);
            }
        }

        Assert.Equal(0, env.Run("start", name).ExitCode);
        Assert.Equal(File.ReadAllText(payload), env.Run("exec", name, "cat", "/tmp/planted-toroot-False").StdOut.TrimEnd('\n')); // exec ends a partial last line
        Assert.Equal([Path.Combine(hostSecretDir, "secret")], Directory.GetFiles(hostSecretDir));
    }

    [Fact]
    public async Task Stats_no_stream_prints_docker_columns_and_formats()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var name = "stats-" + Guid.NewGuid().ToString("N")[..8];
        var stopped = "stopped-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, env.Run("run", "-d", "--name", name, "--memory", "64m", "busybox", "sleep", "1000").ExitCode);
        Assert.Equal(0, env.Run("create", "--name", stopped, "busybox", "true").ExitCode);

        var table = env.Run("stats", "--no-stream");
        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.StdOut.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Matches("^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$", lines[0]);
        Assert.Matches($"^[0-9a-f]{{12}} +{name} +[0-9.]+% +[0-9.]+[KMG]?i?B / 64MiB +[0-9.]+% +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +1$", lines[1]);

        var custom = env.Run("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", name);
        Assert.Matches($"^{name} [0-9.]+[KMG]?i?B / 64MiB\n$", custom.StdOut);

        var json = env.Run("container", "stats", "--no-stream", "--no-trunc", "--format", "json", name);
        using var doc = JsonDocument.Parse(json.StdOut);
        Assert.Equal(64, doc.RootElement.GetProperty("ID").GetString()!.Length);
        Assert.Equal("1", doc.RootElement.GetProperty("PIDs").GetString());
        Assert.Equal(name, doc.RootElement.GetProperty("Container").GetString());

        var all = env.Run("stats", "-a", "--no-stream", "--format", "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}");
        Assert.Contains($"{stopped}|0.00%|0B / 0B|0\n", all.StdOut, StringComparison.Ordinal);
    }
}
