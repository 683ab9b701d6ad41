// Owns: helpers for image-command tests: a private store with busybox imported, and a snapshot of the store's state.
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Images;

internal static class ImageCliFixture
{
    /// <summary>A fresh store root with the busybox rootfs imported as NAME; returns the CLI and the image ID.</summary>
    public static (GantryCli Cli, string Id) WithBusybox(TempDirectory tmp, string name = "busybox:latest", params string[] changes)
    {
        var busybox = BusyboxRootfs.Get();
        var cli = new GantryCli(tmp.Combine("root"));
        var args = new List<string> { "import" };
        foreach (var c in changes)
        {
            args.Add("--change");
            args.Add(c);
        }

        args.Add(busybox.Tar);
        args.Add(name);
        var id = cli.Ok([.. args]).Trim();
        Assert.StartsWith("sha256:", id, StringComparison.Ordinal);
        return (cli, id);
    }

    /// <summary>index.json plus every file under blobs/, to compare the store before and after a failed command.</summary>
    public static string Snapshot(GantryCli cli)
    {
        var content = Path.Combine(cli.StoreRoot, "content");
        var index = File.Exists(Path.Combine(content, "index.json")) ? File.ReadAllText(Path.Combine(content, "index.json")) : "<no index>";
        var blobs = Directory.Exists(Path.Combine(content, "blobs"))
            ? [.. Directory.EnumerateFiles(Path.Combine(content, "blobs"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)]
            : Array.Empty<string>();
        return index + "\n" + string.Join('\n', blobs);
    }

    public static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
