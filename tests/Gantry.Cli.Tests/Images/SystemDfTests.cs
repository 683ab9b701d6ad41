// Owns: `gantry system df` (and -v, --format) over real containers, volumes, images and the build cache folder.
using System.Text.Json;
using Gantry.Cli.Tests.Containers;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Images;

public sealed class SystemDfTests
{
    private static Dictionary<string, JsonElement> RowsBy(string output, string key) =>
        ImageCliFixture.Lines(output).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => e.GetProperty(key).GetString()!, e => e);

    [Fact]
    public async Task Df_counts_containers_writable_layers_volumes_and_the_build_cache()
    {
        using var env = await ContainerTestEnv.CreateAsync();
        var cli = env.Cli;
        Assert.True(env.Run("volume", "create", "data1").ExitCode == 0);
        Assert.True(env.Run("volume", "create", "spare").ExitCode == 0);
        var spare = cli.Ok("volume", "inspect", "-f", "{{.Mountpoint}}", "spare").Trim();
        await File.WriteAllBytesAsync(Path.Combine(spare, "seven"), new byte[7000], TestContext.Current.CancellationToken);
        var build = Path.Combine(cli.StoreRoot, "build", "cache");
        Directory.CreateDirectory(build);
        await File.WriteAllTextAsync(Path.Combine(build, "step.json"), new string('x', 500), TestContext.Current.CancellationToken);

        var busy = env.Run("run", "-d", "--name", "busy", "-v", "data1:/data", "busybox", "sh", "-c",
            "dd if=/dev/zero of=/data/f bs=1000 count=100 && dd if=/dev/zero of=/big bs=1000 count=50 && echo ready && sleep 600");
        Assert.True(busy.ExitCode == 0, busy.ToString());
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!cli.Run("logs", "busy").StdOut.Contains("ready", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the container never wrote its files: " + cli.Run("logs", "busy"));
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        var done = env.Run("run", "--name", "done", "busybox", "sh", "-c", "dd if=/dev/zero of=/small bs=1000 count=20 2>/dev/null");
        Assert.True(done.ExitCode == 0, done.ToString());

        var rows = RowsBy(cli.Ok("system", "df", "--format", "{{json .}}"), "Type");
        Assert.Equal(["Images", "Containers", "Local Volumes", "Build Cache"], rows.Keys);
        Assert.Equal("1", rows["Images"].GetProperty("TotalCount").GetString());
        Assert.Equal("1", rows["Images"].GetProperty("Active").GetString());
        Assert.Equal("2", rows["Containers"].GetProperty("TotalCount").GetString());
        Assert.Equal("1", rows["Containers"].GetProperty("Active").GetString());
        Assert.Equal("70kB", rows["Containers"].GetProperty("Size").GetString());
        Assert.Equal("20kB (28%)", rows["Containers"].GetProperty("Reclaimable").GetString());
        Assert.Equal("2", rows["Local Volumes"].GetProperty("TotalCount").GetString());
        Assert.Equal("1", rows["Local Volumes"].GetProperty("Active").GetString());
        Assert.Equal("107kB", rows["Local Volumes"].GetProperty("Size").GetString());
        Assert.Equal("7kB (6%)", rows["Local Volumes"].GetProperty("Reclaimable").GetString());
        Assert.Equal("1", rows["Build Cache"].GetProperty("TotalCount").GetString());
        Assert.Equal("500B", rows["Build Cache"].GetProperty("Size").GetString());

        // -v with a format: one row per image, container and volume.
        var verbose = ImageCliFixture.Lines(cli.Ok("system", "df", "-v", "--format", "{{json .}}")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var containers = verbose.Where(r => r.GetProperty("Type").GetString() == "Container").ToDictionary(r => r.GetProperty("Names").GetString()!);
        Assert.Equal("50kB", containers["busy"].GetProperty("Size").GetString());
        Assert.Equal("1", containers["busy"].GetProperty("LocalVolumes").GetString());
        Assert.Equal("20kB", containers["done"].GetProperty("Size").GetString());
        var volumes = verbose.Where(r => r.GetProperty("Type").GetString() == "Volume").ToDictionary(r => r.GetProperty("Name").GetString()!);
        Assert.Equal("1", volumes["data1"].GetProperty("Links").GetString());
        Assert.Equal("100kB", volumes["data1"].GetProperty("Size").GetString());
        Assert.Equal("0", volumes["spare"].GetProperty("Links").GetString());
        var image = Assert.Single(verbose, r => r.GetProperty("Type").GetString() == "Image");
        Assert.Equal("2", image.GetProperty("Containers").GetString());

        // -v as docker prints it: a table per kind.
        var table = cli.Ok("system", "df", "-v");
        foreach (var title in new[] { "Images space usage:", "Containers space usage:", "Local Volumes space usage:", "Build cache usage: 500B" })
        {
            Assert.Contains(title, table, StringComparison.Ordinal);
        }

        Assert.Contains("VOLUME NAME", table, StringComparison.Ordinal);
        Assert.Matches(@"\n[0-9a-f]{12}\s+busybox\s+.*\s50kB\s.*\sbusy\n", table);
    }
}
