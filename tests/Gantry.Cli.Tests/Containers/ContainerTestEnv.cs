// Owns: a private store root with a busybox image (made offline from the test kit rootfs) for container CLI tests, and teardown.
using Gantry.Content;
using Gantry.Oci;
using Gantry.Reference;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Containers;

internal sealed class ContainerTestEnv : IDisposable
{
    private ContainerTestEnv(TempDirectory temp)
    {
        Temp = temp;
        Cli = new GantryCli(temp.Combine("root"));
    }

    public TempDirectory Temp { get; }

    public GantryCli Cli { get; }

    /// <summary>Skips unless root with crun/runc; makes a store holding busybox:latest (CMD ["sh"]).</summary>
    public static async Task<ContainerTestEnv> CreateAsync()
    {
        Requires.Root();
        Assert.SkipWhen(Requires.Which("crun") is null && Requires.Which("runc") is null, "needs crun or runc on PATH (apt-get install crun runc)");
        var busybox = BusyboxRootfs.Get();
        var env = new ContainerTestEnv(new TempDirectory("gantry-ctr"));
        var store = ImageStore.Open(env.Cli.StoreRoot);
        var ct = TestContext.Current.CancellationToken;
        var tarGz = await File.ReadAllBytesAsync(busybox.TarGz, ct);
        var diffId = Digest.Compute(await File.ReadAllBytesAsync(busybox.Tar, ct));
        var layer = await store.Blobs.WriteAsync(MediaTypes.OciLayerGzip, tarGz, ct);
        var config = new ImageConfig
        {
            Architecture = Platform.Current.Architecture,
            Os = "linux",
            Created = DateTimeOffset.UnixEpoch,
            Config = new ContainerConfig { Cmd = ["sh"], Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
            RootFs = new RootFs { DiffIds = [diffId] },
        };
        await store.CreateImageAsync(config, [layer], [ImageReference.ParseWithDefaultTag("busybox")], ct);
        return env;
    }

    public ProcessResult Run(params string[] args) => Cli.Run(args, null, null, TimeSpan.FromMinutes(2));

    public void Dispose()
    {
        try
        {
            var ids = Cli.Run("ps", "-aq", "--no-trunc").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (ids.Length > 0)
            {
                Cli.Run(["rm", "-f", .. ids]);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or TimeoutException)
        {
        }

        Temp.Dispose();
    }

    /// <summary>Lines of /proc/mounts that mention this test's folder (should be none after cleanup).</summary>
    public string[] Mounts() => File.ReadAllLines("/proc/mounts").Where(l => l.Contains(Temp.FullPath, StringComparison.Ordinal)).ToArray();
}
