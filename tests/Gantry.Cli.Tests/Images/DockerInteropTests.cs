// Owns: interop with a real dockerd: `docker load` of a `gantry save` archive, and `gantry load` + `gantry run` of a `docker save` one.
using System.Text.Json;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Images;

public sealed class DockerInteropTests
{
    [Fact]
    public void Docker_loads_a_gantry_archive_and_gantry_loads_and_runs_a_docker_archive()
    {
        using var dockerd = PrivateDockerd.Start();
        using var tmp = new TempDirectory("gantry-cli-docker");
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "isaias0328/cron-ticker:pantera", "CMD [\"sh\"]");
        cli.Ok("tag", "isaias0328/cron-ticker:pantera", "localhost:5000/team/ticker:1");
        var archive = tmp.Combine("gantry.tar");
        cli.Ok("save", "-o", archive, "isaias0328/cron-ticker:pantera", "localhost:5000/team/ticker:1");

        // gantry save → docker load: the same image ID and the same RepoTags.
        var loaded = dockerd.Ok("load", "-i", archive);
        Assert.Contains("Loaded image: isaias0328/cron-ticker:pantera", loaded, StringComparison.Ordinal);
        var inspect = JsonDocument.Parse(dockerd.Ok("image", "inspect", "isaias0328/cron-ticker:pantera")).RootElement[0];
        Assert.Equal(id, inspect.GetProperty("Id").GetString());
        var gantryTags = JsonDocument.Parse(cli.Ok("image", "inspect", "-f", "{{json .RepoTags}}", id)).RootElement.EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(gantryTags, inspect.GetProperty("RepoTags").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["sh"], inspect.GetProperty("Config").GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));

        // docker save → gantry load: same ID, docker's name, and the image runs.
        dockerd.Ok("tag", "isaias0328/cron-ticker:pantera", "other/from-docker:2");
        var dockerArchive = tmp.Combine("docker.tar");
        dockerd.Ok("save", "-o", dockerArchive, "other/from-docker:2");

        // dockerd stops cleanly: no process of it and nothing mounted below its folder.
        dockerd.Stop();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (dockerd.StrayProcesses().Length > 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(200);
        }

        Assert.Empty(dockerd.StrayProcesses());
        Assert.Empty(dockerd.Mounts());

        var fresh = new GantryCli(tmp.Combine("root2"));
        Assert.Equal("Loaded image: other/from-docker:2\n", fresh.Ok("load", "-i", dockerArchive));
        Assert.Equal(id + "\n", fresh.Ok("image", "inspect", "-f", "{{.Id}}", "other/from-docker:2"));
        Assert.Equal(new FileInfo(BusyboxRootfs.Get().Tar).Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n",
            fresh.Ok("image", "inspect", "-f", "{{.Size}}", "other/from-docker:2"));

        Assert.SkipWhen(Requires.Which("crun") is null && Requires.Which("runc") is null, "docker interop checked; running the loaded image needs crun or runc (apt-get install crun runc)");
        var run = fresh.Run(["run", "--rm", "other/from-docker:2", "sh", "-c", "echo from-docker-$((40+2))"], null, null, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("from-docker-42\n", run.StdOut);
    }
}
