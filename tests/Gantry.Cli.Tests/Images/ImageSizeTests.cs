// Owns: image sizes as docker shows them (uncompressed layer tar sizes) in images, image inspect and history, cross-checked with podman.
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Images;

public sealed class ImageSizeTests
{
    /// <summary>The size of the tar inside the busybox rootfs.tar.gz, measured here by decompressing it.</summary>
    private static long UncompressedBusyboxTar()
    {
        using var gz = new GZipStream(File.OpenRead(BusyboxRootfs.Get().TarGz), CompressionMode.Decompress);
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = gz.Read(buffer)) > 0)
        {
            total += n;
        }

        return total;
    }

    /// <summary>go-units HumanSize (decimal, 3 significant digits), as docker prints sizes.</summary>
    private static string Human(long size)
    {
        string[] units = ["B", "kB", "MB", "GB"];
        double value = size;
        var i = 0;
        while (value >= 1000 && i < units.Length - 1)
        {
            value /= 1000;
            i++;
        }

        return value.ToString("G3", CultureInfo.InvariantCulture) + units[i];
    }

    [Fact]
    public void Images_inspect_and_history_show_the_uncompressed_layer_size()
    {
        using var tmp = new TempDirectory("gantry-cli-size");
        var expected = UncompressedBusyboxTar();
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "busybox:latest");
        Assert.StartsWith("sha256:", id, StringComparison.Ordinal);
        Assert.Equal($"{expected}\n", cli.Ok("image", "inspect", "-f", "{{.Size}}", "busybox"));
        Assert.Equal($"{expected}\n", cli.Ok("image", "inspect", "-f", "{{.VirtualSize}}", "busybox"));
        Assert.Equal($"{Human(expected)}\n", cli.Ok("images", "--format", "{{.Size}}"));
        var table = ImageCliFixture.Lines(cli.Ok("images"));
        Assert.EndsWith(Human(expected), table[1].TrimEnd(), StringComparison.Ordinal);
        Assert.Equal($"{expected}\n", cli.Ok("history", "--human", "false", "--format", "{{.Size}}", "busybox"));
        Assert.Equal($"{Human(expected)}\n", cli.Ok("history", "--format", "{{.Size}}", "busybox"));
        var df = cli.Ok("system", "df", "--format", "{{.Type}}={{.Size}}");
        Assert.Contains($"Images={Human(expected)}\n", df, StringComparison.Ordinal);
    }

    [Fact]
    public void A_store_without_layer_records_computes_them_once_on_first_listing()
    {
        using var tmp = new TempDirectory("gantry-cli-size-lazy");
        var expected = UncompressedBusyboxTar();
        var (cli, _) = ImageCliFixture.WithBusybox(tmp, "busybox:latest");
        var records = Path.Combine(cli.StoreRoot, "content", "layerinfo");
        Directory.Delete(records, recursive: true); // as a store written before records existed, or by the builder

        Assert.Equal($"{Human(expected)}\n", cli.Ok("images", "--format", "{{.Size}}"));
        var files = Directory.GetFiles(records, "*", SearchOption.AllDirectories);
        var record = Assert.Single(files);
        Assert.Equal(expected, JsonDocument.Parse(File.ReadAllText(record)).RootElement.GetProperty("size").GetInt64());
        Assert.DoesNotContain("/blobs/", record, StringComparison.Ordinal);
    }

    [Fact]
    public void Podman_loads_a_gantry_archive_and_reports_the_same_size()
    {
        var podman = Requires.Command("podman");
        Requires.Root();
        using var tmp = new TempDirectory("gantry-cli-podman");
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "busybox:latest");
        var archive = tmp.Combine("bb.tar");
        cli.Ok("save", "-o", archive, "busybox:latest");
        string[] storage = ["--root", tmp.Combine("podman-root"), "--runroot", tmp.Combine("podman-run"), "--storage-driver", "vfs"];
        var load = ProcessRunner.Run(podman, [.. storage, "load", "-i", archive], timeout: TimeSpan.FromMinutes(2));
        Assert.True(load.ExitCode == 0, load.ToString());
        var list = ProcessRunner.Run(podman, [.. storage, "images", "--format", "json"], timeout: TimeSpan.FromMinutes(1));
        Assert.True(list.ExitCode == 0, list.ToString());
        var image = Assert.Single(JsonDocument.Parse(list.StdOut).RootElement.EnumerateArray());
        Assert.EndsWith(image.GetProperty("Id").GetString()!, id, StringComparison.Ordinal);
        var podmanSize = image.GetProperty("Size").GetInt64();
        var gantrySize = long.Parse(cli.Ok("image", "inspect", "-f", "{{.Size}}", "busybox").Trim(), CultureInfo.InvariantCulture);

        // podman adds its stored config and manifest (a few kB) to the layers' uncompressed sizes.
        Assert.InRange(podmanSize - gantrySize, 0, 16 * 1024);
        Assert.Equal(Human(podmanSize), Human(gantrySize));
    }
}
