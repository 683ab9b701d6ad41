// Owns: per-test helpers for runtime tests: a private copy of the busybox rootfs and captured runs.
using System.Text;
using Gantry.TestKit;

namespace Gantry.Runtime.Tests;

internal static class RuntimeFixture
{
    /// <summary>Skips unless root with crun or runc; returns a fresh writable copy of the busybox rootfs inside <paramref name="temp"/>.</summary>
    public static string Rootfs(TempDirectory temp)
    {
        Requires.Root();
        Assert.SkipWhen(Requires.Which("crun") is null && Requires.Which("runc") is null, "needs crun or runc on PATH (apt-get install crun runc)");
        var src = BusyboxRootfs.Get().RootfsDir;
        var dest = temp.Combine("rootfs");
        var r = ProcessRunner.Run("cp", ["-a", src, dest]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return dest;
    }

    public static async Task<(int Exit, string Out, string Err)> RunAsync(RunSpec spec, string? stdin = null)
    {
        using var o = new MemoryStream();
        using var e = new MemoryStream();
        using var i = stdin is null ? null : new MemoryStream(Encoding.UTF8.GetBytes(stdin));
        var code = await ContainerRunner.RunAsync(spec, i, o, e, TestContext.Current.CancellationToken);
        return (code, Encoding.UTF8.GetString(o.ToArray()), Encoding.UTF8.GetString(e.ToArray()));
    }
}
