// Owns: `gantry tag`, `gantry rmi` / `image rm` output and semantics, and `gantry image prune`.
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Images;

public sealed class TagRmiPruneTests
{
    [Fact]
    public void Tag_then_rmi_untags_and_deletes_on_the_last_name()
    {
        using var tmp = new TempDirectory("gantry-cli-rmi");
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "cron-ticker");
        cli.Ok("tag", "cron-ticker", "isaias0328/cron-ticker:pantera");
        Assert.Equal(cli.Ok("image", "inspect", "-f", "{{.Id}}", "cron-ticker"), cli.Ok("image", "inspect", "-f", "{{.Id}}", "isaias0328/cron-ticker:pantera"));

        Assert.Equal("Untagged: isaias0328/cron-ticker:pantera\n", cli.Ok("rmi", "isaias0328/cron-ticker:pantera"));
        var removed = ImageCliFixture.Lines(cli.Ok("image", "rm", "cron-ticker"));
        Assert.Equal("Untagged: cron-ticker:latest", removed[0]);
        Assert.Equal($"Deleted: {id}", removed[1]);
        Assert.Matches("^Deleted: sha256:[0-9a-f]{64}$", removed[2]);
        Assert.Single(ImageCliFixture.Lines(cli.Ok("images")));
        Assert.Empty(Directory.GetFiles(Path.Combine(cli.StoreRoot, "content", "blobs", "sha256")));
    }

    [Fact]
    public void Rmi_by_id_with_two_repositories_needs_force()
    {
        using var tmp = new TempDirectory("gantry-cli-rmi-force");
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "a");
        cli.Ok("tag", "a", "b");
        var r = cli.Run("rmi", id[7..19]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("must be forced", r.StdErr, StringComparison.Ordinal);
        Assert.Equal(3, ImageCliFixture.Lines(cli.Ok("images")).Length);
        var forced = ImageCliFixture.Lines(cli.Ok("image", "remove", "-f", id[7..19]));
        Assert.Equal(["Untagged: a:latest", "Untagged: b:latest", $"Deleted: {id}"], forced[..3]);
    }

    [Fact]
    public void Prune_removes_dangling_images()
    {
        using var tmp = new TempDirectory("gantry-cli-prune");
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "a");
        ImageCliFixture.WithBusybox(tmp, "a", "CMD [\"sh\"]");
        var output = cli.Ok("image", "prune", "-f");
        Assert.StartsWith("Deleted Images:\n", output, StringComparison.Ordinal);
        Assert.Contains($"deleted: {id}", output, StringComparison.Ordinal);
        Assert.Matches(@"Total reclaimed space: [\d.]+(B|kB|MB)\n$", output);
        Assert.Equal(2, ImageCliFixture.Lines(cli.Ok("images")).Length);
        Assert.Equal("Total reclaimed space: 0B\n", cli.Ok("image", "prune", "-f"));
        Assert.Contains("Total reclaimed space:", cli.Ok("image", "prune", "-a", "-f"), StringComparison.Ordinal);
        Assert.Single(ImageCliFixture.Lines(cli.Ok("images")));
    }
}
