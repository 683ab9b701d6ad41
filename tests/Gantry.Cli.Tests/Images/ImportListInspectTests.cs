// Owns: `gantry import` of the busybox rootfs, then images / inspect / history output in docker's formats.
using System.Text.Json;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Images;

public sealed class ImportListInspectTests
{
    [Fact]
    public void Images_table_and_formats()
    {
        using var tmp = new TempDirectory("gantry-cli-images");
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "busybox:latest");
        var shortId = id["sha256:".Length..][..12];

        var table = ImageCliFixture.Lines(cli.Ok("images"));
        Assert.Equal(2, table.Length);
        Assert.Matches(@"^REPOSITORY\s{3,}TAG\s{3,}IMAGE ID\s{3,}CREATED\s{3,}SIZE$", table[0]);
        Assert.Matches($@"^busybox\s{{3,}}latest\s{{3,}}{shortId}\s{{3,}}(Less than a second|[\w ]+) ago\s{{3,}}[\d.]+(kB|MB)$", table[1]);
        // Columns line up: each header starts where its cells start.
        Assert.Equal(table[0].IndexOf("TAG", StringComparison.Ordinal), table[1].IndexOf("latest", StringComparison.Ordinal));
        Assert.Equal(table[0].IndexOf("IMAGE ID", StringComparison.Ordinal), table[1].IndexOf(shortId, StringComparison.Ordinal));

        foreach (var alias in new[] { "ls", "list" })
        {
            var other = ImageCliFixture.Lines(cli.Ok("image", alias));
            Assert.Equal(2, other.Length);
            Assert.Matches(@"^REPOSITORY\s{3,}TAG\s{3,}IMAGE ID\s{3,}CREATED\s{3,}SIZE$", other[0]);
            Assert.Matches($@"^busybox\s{{3,}}latest\s{{3,}}{shortId}\s", other[1]);
        }
        Assert.Equal([shortId], ImageCliFixture.Lines(cli.Ok("images", "-q")));
        Assert.Equal([id], ImageCliFixture.Lines(cli.Ok("images", "-q", "--no-trunc")));
        Assert.Equal(["busybox:latest"], ImageCliFixture.Lines(cli.Ok("images", "--format", "{{.Repository}}:{{.Tag}}")));

        var json = JsonDocument.Parse(ImageCliFixture.Lines(cli.Ok("images", "--format", "json"))[0]).RootElement;
        Assert.Equal("busybox", json.GetProperty("Repository").GetString());
        Assert.Equal("latest", json.GetProperty("Tag").GetString());
        Assert.Equal(shortId, json.GetProperty("ID").GetString());
        Assert.Equal("<none>", json.GetProperty("Digest").GetString());
        var templated = JsonDocument.Parse(ImageCliFixture.Lines(cli.Ok("images", "--format", "{{json .}}"))[0]).RootElement;
        Assert.Equal(
            json.EnumerateObject().Select(p => p.Name),
            templated.EnumerateObject().Select(p => p.Name));
        Assert.Equal(json.GetProperty("ID").GetString(), templated.GetProperty("ID").GetString());

        var custom = ImageCliFixture.Lines(cli.Ok("images", "--format", "table {{.Repository}}\\t{{.ID}}"));
        Assert.Matches(@"^REPOSITORY\s+IMAGE ID$", custom[0]);
        Assert.Matches($@"^busybox\s+{shortId}$", custom[1]);

        var digests = ImageCliFixture.Lines(cli.Ok("images", "--digests"));
        Assert.Matches(@"^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$", digests[0]);
        Assert.Contains("<none>", digests[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Filters_and_repository_argument()
    {
        using var tmp = new TempDirectory("gantry-cli-filter");
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "cron-ticker");
        cli.Ok("tag", "cron-ticker", "isaias0328/cron-ticker:pantera");
        cli.Ok("image", "tag", id, "localhost:5000/a/b:t");
        var all = cli.Ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}");
        Assert.Equal(3, ImageCliFixture.Lines(all).Length);
        Assert.Single(ImageCliFixture.Lines(all).Select(l => l.Split(' ')[1]).Distinct());

        Assert.Equal(["isaias0328/cron-ticker:pantera"], ImageCliFixture.Lines(cli.Ok("images", "--filter", "reference=isaias0328/*", "--format", "{{.Repository}}:{{.Tag}}")));
        Assert.Equal(["cron-ticker:latest"], ImageCliFixture.Lines(cli.Ok("images", "-f", "reference=cron-ticker", "--format", "{{.Repository}}:{{.Tag}}")));
        Assert.Equal(["isaias0328/cron-ticker:pantera"], ImageCliFixture.Lines(cli.Ok("images", "isaias0328/cron-ticker", "--format", "{{.Repository}}:{{.Tag}}")));
        Assert.Empty(ImageCliFixture.Lines(cli.Ok("images", "--filter", "dangling=true", "-q")));

        // Re-importing under the same name leaves the old image dangling: <none> <none>.
        Assert.Equal("Untagged: isaias0328/cron-ticker:pantera\nUntagged: localhost:5000/a/b:t\n", cli.Ok("rmi", "isaias0328/cron-ticker:pantera", "localhost:5000/a/b:t"));
        var busybox = BusyboxRootfs.Get();
        cli.Ok("import", "--change", "CMD [\"sh\"]", busybox.Tar, "cron-ticker");
        var dangling = ImageCliFixture.Lines(cli.Ok("images", "--filter", "dangling=true"));
        Assert.Equal(2, dangling.Length);
        Assert.Matches(@"^<none>\s+<none>\s+" + id[7..19], dangling[1]);
    }

    [Fact]
    public void Inspect_is_docker_json_and_takes_format()
    {
        using var tmp = new TempDirectory("gantry-cli-inspect");
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "busybox:latest", "CMD [\"sh\"]", "ENV A=1 B=\"two words\"", "WORKDIR /tmp", "EXPOSE 8080", "USER 1000", "LABEL org.example=yes", "ENTRYPOINT echo hi");
        var output = cli.Ok("image", "inspect", "busybox");
        Assert.StartsWith("[\n    {\n        \"Id\": ", output, StringComparison.Ordinal);
        var doc = JsonDocument.Parse(output).RootElement;
        var img = Assert.Single(doc.EnumerateArray().ToList());
        Assert.Equal(id, img.GetProperty("Id").GetString());
        Assert.Equal(["busybox:latest"], img.GetProperty("RepoTags").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, img.GetProperty("RepoDigests").GetArrayLength());
        Assert.Equal("linux", img.GetProperty("Os").GetString());
        Assert.True(img.GetProperty("Size").GetInt64() > 100_000);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", img.GetProperty("Created").GetString()!);
        Assert.Equal("layers", img.GetProperty("RootFS").GetProperty("Type").GetString());
        Assert.Equal(1, img.GetProperty("RootFS").GetProperty("Layers").GetArrayLength());
        var config = img.GetProperty("Config");
        Assert.Equal(["sh"], config.GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["/bin/sh", "-c", "echo hi"], config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["A=1", "B=two words"], config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("/tmp", config.GetProperty("WorkingDir").GetString());
        Assert.Equal("1000", config.GetProperty("User").GetString());
        Assert.True(config.GetProperty("ExposedPorts").TryGetProperty("8080/tcp", out _));
        Assert.Equal("yes", config.GetProperty("Labels").GetProperty("org.example").GetString());

        Assert.Equal(id + "\n", cli.Ok("image", "inspect", "--format", "{{.Id}}", id[7..15]));
        Assert.Equal("[sh]\n", cli.Ok("image", "inspect", "-f", "{{.Config.Cmd}}", "busybox"));
        Assert.Equal("[\"sh\"]\n", cli.Ok("image", "inspect", "-f", "{{json .Config.Cmd}}", "busybox"));
        Assert.Equal("linux/" + Gantry.Oci.Platform.Current.Architecture + "\n", cli.Ok("image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", "busybox"));
        Assert.Equal("busybox:latest,\n", cli.Ok("image", "inspect", "-f", "{{range .RepoTags}}{{.}},{{end}}", "busybox"));
    }

    [Fact]
    public void History_lists_the_import()
    {
        using var tmp = new TempDirectory("gantry-cli-history");
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "busybox");
        var lines = ImageCliFixture.Lines(cli.Ok("history", "busybox"));
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$", lines[0]);
        Assert.Matches($@"^{id[7..19]}\s+.+ ago\s+[\d.]+(kB|MB)\s+Imported from .*rootfs\.tar$", lines[1]);
        Assert.Matches($@"^{id[7..19]}\s", ImageCliFixture.Lines(cli.Ok("image", "history", "busybox"))[1]);
        Assert.Equal([id[7..19]], ImageCliFixture.Lines(cli.Ok("history", "-q", "busybox")));
        Assert.Equal([id], ImageCliFixture.Lines(cli.Ok("history", "-q", "--no-trunc", "busybox")));
    }

    [Fact]
    public void Import_from_stdin_with_message_and_no_name()
    {
        using var tmp = new TempDirectory("gantry-cli-import-stdin");
        var busybox = BusyboxRootfs.Get();
        var cli = new GantryCli(tmp.Combine("root"));
        var r = ProcessRunner.Run("sh", ["-c", $"'{GantryCli.Executable}' import -m hello - < '{busybox.TarGz}'"], env: cli.Environment);
        Assert.True(r.ExitCode == 0, r.ToString());
        var id = r.StdOut.Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", id);
        Assert.Matches(@"^<none>\s+<none>\s+" + id[7..19], ImageCliFixture.Lines(cli.Ok("images"))[1]);
        Assert.Contains("hello", cli.Ok("history", id), StringComparison.Ordinal);
        // The same rootfs, plain or gzip, gives the same layer diff ID.
        using var tmp2 = new TempDirectory("gantry-cli-import-plain");
        var (cli2, _) = ImageCliFixture.WithBusybox(tmp2, "x");
        Assert.Equal(
            cli.Ok("image", "inspect", "-f", "{{json .RootFS.Layers}}", id),
            cli2.Ok("image", "inspect", "-f", "{{json .RootFS.Layers}}", "x"));
    }

    [Fact]
    public void System_df_counts_images()
    {
        using var tmp = new TempDirectory("gantry-cli-df");
        var (cli, _) = ImageCliFixture.WithBusybox(tmp, "busybox");
        var lines = ImageCliFixture.Lines(cli.Ok("system", "df"));
        Assert.Matches(@"^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$", lines[0]);
        Assert.Matches(@"^Images\s+1\s+0\s+[\d.]+(kB|MB)\s+[\d.]+(kB|MB) \(100%\)$", lines[1]);
        Assert.Matches(@"^Containers\s+", lines[2]);
    }
}
