// Owns: the offline busybox base used across tests: a rootfs folder from Debian's busybox-static and its layer tarball.
using System.Security.Cryptography;

namespace Gantry.TestKit;

/// <summary>
/// Makes (once per machine, cached under /var/tmp/gantry-test-cache) a busybox root filesystem from /bin/busybox of the
/// busybox-static package, as the anchor benchmark does: applet symlinks in /bin, /etc/passwd with root, user 1000 and nobody,
/// /etc/group, /tmp with mode 1777. Also a reproducible rootfs tar (uncompressed) and tar.gz of it.
/// </summary>
public static class BusyboxRootfs
{
    private static readonly Lazy<Paths> Cached = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    public sealed record Paths(string RootfsDir, string Tar, string TarGz);

    /// <summary>Skips the test when busybox-static is missing; otherwise returns the cached rootfs paths.</summary>
    public static Paths Get()
    {
        Requires.Command("busybox", "busybox-static");
        Assert.SkipUnless(IsStatic(Requires.Which("busybox")!), "needs the statically linked busybox of the busybox-static package");
        return Cached.Value;
    }

    private static bool IsStatic(string path)
    {
        var r = ProcessRunner.Run("sh", ["-c", $"file -L '{path}' 2>/dev/null || ldd '{path}' 2>&1"]);
        return r.Output.Contains("static", StringComparison.OrdinalIgnoreCase) || r.Output.Contains("not a dynamic", StringComparison.OrdinalIgnoreCase);
    }

    private static Paths Create()
    {
        var busybox = Requires.Which("busybox")!;
        var version = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(busybox)))[..16];
        var cacheRoot = Path.Combine(Environment.GetEnvironmentVariable("GANTRY_TEST_CACHE") ?? "/var/tmp/gantry-test-cache", $"busybox-{version}");
        var result = new Paths(Path.Combine(cacheRoot, "rootfs"), Path.Combine(cacheRoot, "rootfs.tar"), Path.Combine(cacheRoot, "rootfs.tar.gz"));
        if (File.Exists(Path.Combine(cacheRoot, "done")))
        {
            return result;
        }

        var staging = cacheRoot + ".tmp-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..6];
        var rootfs = Path.Combine(staging, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        foreach (var d in new[] { "etc", "tmp", "root", "home", "proc", "sys", "dev", "var", "usr/bin", "usr/sbin", "sbin" })
        {
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        }

        File.Copy(busybox, Path.Combine(rootfs, "bin", "busybox"));
        File.SetUnixFileMode(Path.Combine(rootfs, "bin", "busybox"), (UnixFileMode)0b111_101_101);
        var list = ProcessRunner.Run(busybox, ["--list"]);
        foreach (var applet in list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var link = Path.Combine(rootfs, "bin", applet);
            if (applet != "busybox" && !File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        File.WriteAllText(Path.Combine(rootfs, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        File.WriteAllText(Path.Combine(rootfs, "etc", "group"), "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n");
        File.SetUnixFileMode(Path.Combine(rootfs, "tmp"), (UnixFileMode)0b1_111_111_111);
        Run("tar", "--sort=name", "--mtime=@1700000000", "--owner=0", "--group=0", "--numeric-owner", "--format=posix",
            "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime", "-C", rootfs, "-cf", Path.Combine(staging, "rootfs.tar"), ".");
        Run("sh", "-c", $"gzip -n -c '{Path.Combine(staging, "rootfs.tar")}' > '{Path.Combine(staging, "rootfs.tar.gz")}'");
        File.WriteAllText(Path.Combine(staging, "done"), "ok\n");
        Directory.CreateDirectory(Path.GetDirectoryName(cacheRoot)!);
        try
        {
            Directory.Move(staging, cacheRoot);
        }
        catch (IOException) when (File.Exists(Path.Combine(cacheRoot, "done")))
        {
            ProcessRunner.Run("rm", ["-rf", staging]);
        }

        return result;
    }

    private static void Run(string file, params string[] args)
    {
        var r = ProcessRunner.Run(file, args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {r}");
        }
    }
}
