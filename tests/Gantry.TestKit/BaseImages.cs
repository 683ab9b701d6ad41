// Owns: the offline stand-ins for Docker Hub's base images used by the tutorials: node rootfs (mmdebstrap) and hello-world.
using System.Security.Cryptography;
using System.Text;

namespace Gantry.TestKit;

/// <summary>
/// Root filesystem tarballs for the tutorials' base images, made without Docker Hub and cached between runs:
/// <list type="bullet">
/// <item><see cref="NodeRootfsTar"/>: Debian bookworm minbase + nodejs + npm (+ the host's extra CA certificates) made by
/// <c>scripts/make-node-rootfs.sh</c> (cached under /var/tmp/gantry-cache, keyed by the script's hash).</item>
/// <item><see cref="HelloWorldRootfsTar"/>: a static busybox and a <c>/hello</c> script printing <see cref="HelloWorldGreeting"/>.</item>
/// </list>
/// </summary>
public static class BaseImages
{
    /// <summary>The tags of <c>node</c> the tutorials use; all are the same Debian nodejs rootfs.</summary>
    public static IReadOnlyList<string> NodeTags { get; } = ["19.2-alpine3.16", "15.12.0-slim"];

    /// <summary>The --change instructions that make the imported rootfs look like Docker Hub's node images.</summary>
    public static IReadOnlyList<string> NodeChanges { get; } =
    [
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LABEL org.opencontainers.image.description=\"Offline stand-in for Docker Hub's node image: Debian bookworm nodejs and npm\"",
        "CMD [\"node\"]",
    ];

    /// <summary>The first line the hello-world stand-in prints (docker's says "Hello from Docker!").</summary>
    public const string HelloWorldFirstLine = "Hello from Gantry!";

    public static string HelloWorldGreeting { get; } = string.Join('\n',
        "",
        HelloWorldFirstLine,
        "This message shows that your installation appears to be working correctly.",
        "",
        "To generate this message, Gantry took the following steps:",
        " 1. The gantry client looked for the \"hello-world\" image in its local store.",
        " 2. It did not find it, so it pulled the image from the registry (Docker Hub, or the mirror you configured).",
        " 3. It created a new container from that image, which runs the executable that",
        "    produces the output you are currently reading.",
        " 4. It streamed that output to your terminal.",
        "",
        "To try something more ambitious, you can run a shell in a container with:",
        " $ gantry run -it busybox sh",
        "",
        "For more examples and ideas, see docs/tutorial.md.",
        "");

    private static readonly Lazy<string> Node = new(MakeNode, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string> Hello = new(MakeHello, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The cache folder for test artifacts ($GANTRY_TEST_CACHE, default /var/tmp/gantry-test-cache).</summary>
    public static string CacheRoot => Environment.GetEnvironmentVariable("GANTRY_TEST_CACHE") ?? "/var/tmp/gantry-test-cache";

    /// <summary>Skips unless mmdebstrap (or an already cached tarball) and a static busybox are available.</summary>
    public static void Require()
    {
        Requires.Root();
        BusyboxRootfs.Get();
        Requires.Command("tar");
    }

    /// <summary>The node rootfs tarball (made on first use; takes minutes once, then cached).</summary>
    public static string NodeRootfsTar => Node.Value;

    /// <summary>The hello-world rootfs tarball (tiny; cached).</summary>
    public static string HelloWorldRootfsTar => Hello.Value;

    /// <summary>A short key naming the current recipe of all base images, for caches built from them.</summary>
    public static string RecipeKey
    {
        get
        {
            var text = $"{Path.GetFileName(NodeRootfsTar)}|{new FileInfo(NodeRootfsTar).Length}|{HelloWorldRootfsTar}|{string.Join('|', NodeTags)}|{string.Join('|', NodeChanges)}|{HelloWorldGreeting}";
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];
        }
    }

    private static string MakeNode()
    {
        var script = Path.Combine(RepoLayout.Root, "scripts", "make-node-rootfs.sh");
        var result = ProcessRunner.Run("bash", [script], timeout: TimeSpan.FromMinutes(30));
        var path = result.StdOut.Trim().Split('\n').LastOrDefault()?.Trim();
        if (result.ExitCode != 0 || string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new InvalidOperationException($"scripts/make-node-rootfs.sh failed: {result}");
        }

        return path;
    }

    private static string MakeHello()
    {
        var busybox = BusyboxRootfs.Get();
        var version = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(HelloWorldGreeting + "|" + new FileInfo(Path.Combine(busybox.RootfsDir, "bin", "busybox")).Length)))[..12];
        var dir = Path.Combine(CacheRoot, $"hello-world-{version}");
        var tar = Path.Combine(dir, "rootfs.tar");
        if (File.Exists(tar))
        {
            return tar;
        }

        var staging = dir + ".tmp-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..6];
        var rootfs = Path.Combine(staging, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        File.Copy(Path.Combine(busybox.RootfsDir, "bin", "busybox"), Path.Combine(rootfs, "bin", "busybox"));
        File.SetUnixFileMode(Path.Combine(rootfs, "bin", "busybox"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(rootfs, "bin", "sh"), "busybox");
        var script = "#!/bin/sh\n/bin/busybox cat <<'EOF'" + HelloWorldGreeting + "EOF\n";
        File.WriteAllText(Path.Combine(rootfs, "hello"), script);
        File.SetUnixFileMode(Path.Combine(rootfs, "hello"), (UnixFileMode)0b111_101_101);
        var r = ProcessRunner.Run("tar", ["--sort=name", "--mtime=@1700000000", "--owner=0", "--group=0", "--numeric-owner", "--format=posix",
            "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime", "-C", rootfs, "-cf", Path.Combine(staging, "rootfs.tar"), "."]);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"tar of the hello-world rootfs failed: {r}");
        }

        try
        {
            Directory.Move(staging, dir);
        }
        catch (IOException) when (File.Exists(tar))
        {
            ProcessRunner.Run("rm", ["-rf", staging]);
        }

        return tar;
    }
}
