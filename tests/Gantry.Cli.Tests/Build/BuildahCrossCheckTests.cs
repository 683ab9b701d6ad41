// Owns: the buildah cross-check: one Dockerfile built by `buildah bud --layers` and by `gantry build` gives the same config and file tree; podman pulls and runs gantry's image from a loopback registry.
using System.Security.Cryptography;
using System.Text.Json;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Build;

public sealed class BuildahCrossCheckTests : IDisposable
{
    private readonly TempDirectory _temp = new("gantry-buildah");

    private string[] Storage => ["--root", _temp.Combine("containers/root"), "--runroot", _temp.Combine("containers/run"), "--storage-driver", "vfs"];

    private ProcessResult Buildah(params string[] args) =>
        ProcessRunner.Run("buildah", [.. Storage, .. args], null, null, null, TimeSpan.FromMinutes(10));

    private string BuildahOk(params string[] args)
    {
        var result = Buildah(args);
        Assert.True(result.ExitCode == 0, $"buildah {string.Join(' ', args)} failed: {result}");
        return result.StdOut;
    }

    [Fact]
    public void Buildah_and_gantry_build_the_same_config_and_file_tree_and_buildah_pulls_and_runs_gantrys_image()
    {
        Requires.Root();
        Assert.SkipWhen(Requires.Which("crun") is null && Requires.Which("runc") is null, "needs crun or runc on PATH (apt-get install crun runc)");
        Assert.SkipWhen(Requires.Which("buildah") is null, "needs buildah for the cross-check (apt-get install buildah)");
        using var registry = DistributionRegistry.StartPlain();
        var cli = new GantryCli(_temp.Combine("gantry-root"));
        var baseName = $"{registry.Host}/busybox:latest";
        // A base with PATH, like every real image (a base without one is a separate difference: BuildKit and buildah add the default PATH).
        cli.Ok("import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", BusyboxRootfs.Get().Tar, baseName);
        cli.Ok("push", baseName);

        _temp.WriteFile("ctx/config.txt", "answer=42\n");
        _temp.WriteFile("ctx/bin/tool.sh", "#!/bin/sh\necho tool\n");
        File.SetUnixFileMode(_temp.Combine("ctx/bin/tool.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
        _temp.WriteFile("ctx/Dockerfile", $"""
            FROM {baseName}
            ENV APP_HOME=/srv/app GREETING="hola mundo"
            RUN mkdir -p $APP_HOME
            WORKDIR $APP_HOME
            COPY --chown=1000:1000 --chmod=640 config.txt ./conf/
            COPY bin/ ./bin/
            RUN mkdir -p data && echo "$GREETING" > data/greeting.txt && chmod 600 data/greeting.txt && ln -s data/greeting.txt link && rm -f /bin/vi && chown 1000 data
            USER 1000:1000
            EXPOSE 8080 53/udp
            LABEL org.example.name="cross check" version="1"
            ENTRYPOINT ["/bin/sh", "-c"]
            CMD ["id -u; cat conf/config.txt"]
            """);
        var context = _temp.Combine("ctx");

        BuildahOk("pull", "--tls-verify=false", baseName);
        BuildahOk("bud", "--layers", "--pull=never", "--tls-verify=false", "--isolation", "chroot", "-t", "localhost/cross:buildah", context);
        var gantryName = $"{registry.Host}/cross:gantry";
        var built = cli.Run(["build", "--progress", "plain", "-t", gantryName, context], null, null, TimeSpan.FromMinutes(10));
        Assert.True(built.ExitCode == 0, built.ToString());
        cli.Ok("push", gantryName);
        BuildahOk("pull", "--tls-verify=false", gantryName);

        // Configs.
        var expected = Config(BuildahOk("inspect", "--type", "image", "localhost/cross:buildah"));
        var actual = Config(BuildahOk("inspect", "--type", "image", gantryName));
        foreach (var field in new[] { "Cmd", "Entrypoint", "Env", "WorkingDir", "ExposedPorts", "Labels", "User" })
        {
            Assert.True(Canonical(expected, field) == Canonical(actual, field), $"{field}: buildah {Canonical(expected, field)} vs gantry {Canonical(actual, field)}");
        }

        // File trees: paths, types, modes, owners, contents and link targets.
        // buildah leaves its RUN mount stubs (etc/hostname, etc/hosts, etc/resolv.conf, run/) in the image; docker and gantry do not.
        string[] buildahStubs = ["etc/hostname ", "etc/hosts ", "etc/resolv.conf ", "run "];
        var buildahTree = Tree("localhost/cross:buildah").Where(l => !buildahStubs.Any(s => l.StartsWith(s, StringComparison.Ordinal))).ToList();
        var gantryTree = Tree(gantryName);
        var onlyBuildah = buildahTree.Except(gantryTree).ToList();
        var onlyGantry = gantryTree.Except(buildahTree).ToList();
        Assert.True(onlyBuildah.Count == 0 && onlyGantry.Count == 0, $"trees differ:\nonly buildah:\n  {string.Join("\n  ", onlyBuildah)}\nonly gantry:\n  {string.Join("\n  ", onlyGantry)}");
        Assert.Contains(gantryTree, l => l.StartsWith("srv/app/conf/config.txt file 640 1000:1000", StringComparison.Ordinal));
        Assert.Contains(gantryTree, l => l.StartsWith("srv/app/link symlink", StringComparison.Ordinal));
        Assert.DoesNotContain(gantryTree, l => l.StartsWith("bin/vi ", StringComparison.Ordinal));

        // buildah pulled gantry's image from the loopback registry above; it also runs it (podman run cannot on this host: it raises nofile).
        var runner = BuildahOk("from", "--pull=never", gantryName).Trim();
        var run = Buildah("run", "--isolation", "chroot", runner, "--", "/bin/sh", "-c", "id -u; cat conf/config.txt");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("1000\nanswer=42\n", run.StdOut.Replace("\r", string.Empty, StringComparison.Ordinal));
    }

    private static JsonElement Config(string inspect) => JsonDocument.Parse(inspect).RootElement.GetProperty("OCIv1").GetProperty("config").Clone();

    /// <summary>A field as sorted, compact JSON (maps by key, Env by value) so order does not matter where docker does not define one.</summary>
    private static string Canonical(JsonElement config, string field)
    {
        if (!config.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return "null";
        }

        return value.ValueKind switch
        {
            JsonValueKind.Object => "{" + string.Join(",", value.EnumerateObject().Where(p => p.Name != "io.buildah.version").OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + "=" + p.Value.GetRawText())) + "}",
            JsonValueKind.Array when field == "Env" => "[" + string.Join(",", value.EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal)) + "]",
            _ => value.GetRawText(),
        };
    }

    /// <summary>Every entry of the image's filesystem (through a buildah working container) as "path type mode uid:gid detail".</summary>
    private List<string> Tree(string image)
    {
        var container = BuildahOk("from", "--pull=never", image).Trim();
        try
        {
            var mount = BuildahOk("mount", container).Trim();
            var lines = new List<string>();
            Walk(mount, lines);
            lines.Sort(StringComparer.Ordinal);
            return lines;
        }
        finally
        {
            Buildah("umount", container);
            Buildah("rm", container);
        }
    }

    /// <summary>find(1) lists type, mode, owner and link target in one pass; regular files get a content hash.</summary>
    private static void Walk(string root, List<string> lines)
    {
        var find = ProcessRunner.Run("find", [root, "-mindepth", "1", "-printf", "%P\\t%y\\t%m\\t%U:%G\\t%l\\n"]);
        Assert.True(find.ExitCode == 0, find.ToString());
        foreach (var line in find.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t');
            var detail = f[1] switch
            {
                "l" => "-> " + f[4],
                "f" => Hash(Path.Combine(root, f[0])),
                _ => string.Empty,
            };
            lines.Add($"{f[0]} {f[1] switch { "f" => "file", "d" => "dir", "l" => "symlink", var other => other }} {f[2]} {f[3]} {detail}".TrimEnd());
        }
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream))[..16];
    }

    public void Dispose()
    {
        Buildah("rm", "--all");
        _temp.Dispose();
    }
}
