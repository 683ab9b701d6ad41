// Owns: bad input to the image commands: one clear error naming the input, non-zero exit, the store exactly as before.
using System.Formats.Tar;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Images;

public sealed class BadInputTests
{
    [Fact]
    public void Truncated_archive_is_refused_and_the_store_is_unchanged()
    {
        using var tmp = new TempDirectory("gantry-cli-bad-trunc");
        var (cli, _) = ImageCliFixture.WithBusybox(tmp, "busybox");
        var archive = tmp.Combine("img.tar");
        cli.Ok("save", "-o", archive, "busybox");
        var truncated = tmp.Combine("truncated.tar");
        var bytes = File.ReadAllBytes(archive);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);

        var target = new GantryCli(tmp.Combine("root2"));
        target.Ok("import", BusyboxRootfs.Get().Tar, "existing");
        var before = ImageCliFixture.Snapshot(target);
        var r = target.Run("load", "-i", truncated);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Single(ImageCliFixture.Lines(r.StdErr));
        Assert.StartsWith("Error: ", r.StdErr, StringComparison.Ordinal);
        Assert.Contains(truncated, r.StdErr, StringComparison.Ordinal);
        Assert.Contains("truncated", r.StdErr, StringComparison.Ordinal);
        Assert.Equal(before, ImageCliFixture.Snapshot(target));
    }

    [Fact]
    public void Archive_with_a_corrupt_blob_is_refused_and_the_store_is_unchanged()
    {
        using var tmp = new TempDirectory("gantry-cli-bad-blob");
        var (cli, _) = ImageCliFixture.WithBusybox(tmp, "busybox");
        var archive = tmp.Combine("img.tar");
        cli.Ok("save", "-o", archive, "busybox");

        // Rewrite the archive with one byte of the layer blob flipped (sizes unchanged).
        var layerDigest = cli.Ok("image", "inspect", "-f", "{{.Descriptor.digest}}", "busybox").Trim();
        var corrupt = tmp.Combine("corrupt.tar");
        var manifestJson = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.StoreRoot, "content", "blobs", "sha256", layerDigest[7..]))).RootElement;
        var layerHex = manifestJson.GetProperty("layers")[0].GetProperty("digest").GetString()![7..];
        using (var input = File.OpenRead(archive))
        using (var output = File.Create(corrupt))
        using (var reader = new TarReader(input))
        using (var writer = new TarWriter(output, TarEntryFormat.Pax))
        {
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                if (entry.Name.EndsWith(layerHex, StringComparison.Ordinal) && entry.DataStream is not null)
                {
                    var data = new MemoryStream();
                    entry.DataStream.CopyTo(data);
                    var buf = data.ToArray();
                    buf[buf.Length / 2] ^= 0xff;
                    entry.DataStream = new MemoryStream(buf);
                }

                writer.WriteEntry(entry);
            }
        }

        var target = new GantryCli(tmp.Combine("root2"));
        target.Ok("import", BusyboxRootfs.Get().TarGz, "existing");
        var before = ImageCliFixture.Snapshot(target);
        var r = target.Run("load", "-i", corrupt);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Single(ImageCliFixture.Lines(r.StdErr));
        Assert.Contains(corrupt, r.StdErr, StringComparison.Ordinal);
        Assert.Contains("digest", r.StdErr, StringComparison.Ordinal);
        Assert.Equal(before, ImageCliFixture.Snapshot(target));
    }

    [Fact]
    public void Not_a_tar_and_truncated_import_are_refused()
    {
        using var tmp = new TempDirectory("gantry-cli-bad-import");
        var (cli, _) = ImageCliFixture.WithBusybox(tmp, "busybox");
        var before = ImageCliFixture.Snapshot(cli);
        var junk = tmp.WriteFile("junk.tar", new string('x', 5000));
        var r = cli.Run("import", junk, "junk");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Single(ImageCliFixture.Lines(r.StdErr));
        Assert.Contains(junk, r.StdErr, StringComparison.Ordinal);

        var half = tmp.Combine("half.tar");
        var bytes = File.ReadAllBytes(BusyboxRootfs.Get().Tar);
        File.WriteAllBytes(half, bytes[..(bytes.Length / 2 + 100)]);
        r = cli.Run("import", half, "half");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("truncated", r.StdErr, StringComparison.Ordinal);
        r = cli.Run("load", "-i", junk);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(junk, r.StdErr, StringComparison.Ordinal);
        Assert.Equal(before, ImageCliFixture.Snapshot(cli));
    }

    [Fact]
    public void Unknown_image_and_invalid_names_are_clear_errors()
    {
        using var tmp = new TempDirectory("gantry-cli-bad-name");
        var (cli, _) = ImageCliFixture.WithBusybox(tmp, "busybox");
        var before = ImageCliFixture.Snapshot(cli);
        foreach (var args in new[] { new[] { "rmi", "nope" }, ["image", "inspect", "nope"], ["history", "nope"], ["tag", "nope", "x"], ["save", "-o", tmp.Combine("x.tar"), "nope"] })
        {
            var r = cli.Run(args);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Equal("Error: No such image: nope\n", r.StdErr);
        }

        var bad = cli.Run("tag", "busybox", "Bad/UPPER");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("Bad/UPPER", bad.StdErr, StringComparison.Ordinal);
        Assert.Contains("must be lowercase", bad.StdErr, StringComparison.Ordinal);
        bad = cli.Run("tag", "busybox", "x:" + new string('t', 129));
        Assert.Contains("at most 128 characters", bad.StdErr, StringComparison.Ordinal);
        bad = cli.Run("import", BusyboxRootfs.Get().Tar, "x:bad:tag");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Single(ImageCliFixture.Lines(bad.StdErr));
        Assert.False(File.Exists(tmp.Combine("x.tar")));
        Assert.Equal(before, ImageCliFixture.Snapshot(cli));
    }
}
