// Owns: save → skopeo inspect (docker-archive:, oci-archive:) → load round trips, and loading archives skopeo made.
using System.Text.Json;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Images;

public sealed class SaveLoadTests
{
    [Fact]
    public void Save_is_readable_by_skopeo_as_docker_archive_and_oci_archive_and_loads_back()
    {
        var skopeo = Requires.Command("skopeo");
        using var tmp = new TempDirectory("gantry-cli-save");
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "isaias0328/cron-ticker:pantera", "CMD [\"sh\"]");
        var archive = tmp.Combine("img.tar");
        cli.Ok("save", "-o", archive, "isaias0328/cron-ticker:pantera");

        var docker = ProcessRunner.Run(skopeo, ["inspect", "--raw", "--config", $"docker-archive:{archive}"]);
        Assert.True(docker.ExitCode == 0, docker.ToString());
        Assert.Equal(["sh"], JsonDocument.Parse(docker.StdOut).RootElement.GetProperty("config").GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));
        // skopeo finds the image by the name recorded in manifest.json's RepoTags.
        var dockerInfo = ProcessRunner.Run(skopeo, ["inspect", $"docker-archive:{archive}:isaias0328/cron-ticker:pantera"]);
        Assert.True(dockerInfo.ExitCode == 0, dockerInfo.ToString());
        Assert.Equal(id, JsonDocument.Parse(ProcessRunner.Run(skopeo, ["inspect", "--raw", $"oci-archive:{archive}"]).StdOut).RootElement.GetProperty("config").GetProperty("digest").GetString());

        var oci = ProcessRunner.Run(skopeo, ["inspect", "--config", $"oci-archive:{archive}"]);
        Assert.True(oci.ExitCode == 0, oci.ToString());
        Assert.Contains("\"sh\"", oci.StdOut, StringComparison.Ordinal);

        // Load into a fresh store: same image ID, same name.
        var other = new GantryCli(tmp.Combine("root2"));
        Assert.Equal("Loaded image: isaias0328/cron-ticker:pantera\n", other.Ok("load", "-i", archive));
        Assert.Equal(id + "\n", other.Ok("image", "inspect", "-f", "{{.Id}}", "isaias0328/cron-ticker:pantera"));

        // And from stdin.
        var third = new GantryCli(tmp.Combine("root3"));
        var r = ProcessRunner.Run("sh", ["-c", $"'{GantryCli.Executable}' image load < '{archive}'"], env: third.Environment);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(id + "\n", third.Ok("image", "inspect", "-f", "{{.Id}}", "isaias0328/cron-ticker:pantera"));
    }

    [Fact]
    public void Loads_archives_made_by_skopeo()
    {
        var skopeo = Requires.Command("skopeo");
        using var tmp = new TempDirectory("gantry-cli-skopeo");
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "busybox:1");
        var archive = tmp.Combine("img.tar");
        cli.Ok("save", "-o", archive, "busybox:1");

        var ociArchive = tmp.Combine("skopeo-oci.tar");
        var copy = ProcessRunner.Run(skopeo, ["copy", $"docker-archive:{archive}", $"oci-archive:{ociArchive}:example.com/team/bb:2"]);
        Assert.True(copy.ExitCode == 0, copy.ToString());
        var dockerArchive = tmp.Combine("skopeo-docker.tar");
        copy = ProcessRunner.Run(skopeo, ["copy", $"docker-archive:{archive}", $"docker-archive:{dockerArchive}:localhost:5000/bb:3"]);
        Assert.True(copy.ExitCode == 0, copy.ToString());

        var store = new GantryCli(tmp.Combine("root2"));
        var loaded = store.Ok("load", "-i", ociArchive);
        Assert.Equal("Loaded image: example.com/team/bb:2\n", loaded);
        Assert.Equal("Loaded image: localhost:5000/bb:3\n", store.Ok("load", "-i", dockerArchive));
        // skopeo rewrites the config only in media type; the diff IDs stay the busybox layer's.
        var layers = cli.Ok("image", "inspect", "-f", "{{json .RootFS.Layers}}", id);
        Assert.Equal(layers, store.Ok("image", "inspect", "-f", "{{json .RootFS.Layers}}", "example.com/team/bb:2"));
        Assert.Equal(layers, store.Ok("image", "inspect", "-f", "{{json .RootFS.Layers}}", "localhost:5000/bb:3"));
    }
}
