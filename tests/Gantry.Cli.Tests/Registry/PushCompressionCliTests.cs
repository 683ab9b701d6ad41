// Owns: end-to-end tests of `gantry push --compression-format/--compression-level/--force-compression` against gantry's registry and distribution.
using System.Text.Json;
using System.Text.RegularExpressions;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Registry;

public sealed class PushCompressionCliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static GantryCli NewCli(TempDirectory dir, string name = "root")
    {
        var cli = new GantryCli(dir.Combine(name));
        cli.Environment["DOCKER_CONFIG"] = dir.Combine("docker-config");
        cli.Environment["GANTRY_CONFIG"] = dir.Combine("no-config.toml");
        cli.Environment["GANTRY_REGISTRY_MIRRORS"] = null;
        return cli;
    }

    private static string ImageId(GantryCli cli, string name) => cli.Ok("image", "inspect", "--format", "{{.Id}}", name).Trim();

    private static string PushedDigest(string output) => Regex.Match(output, @"v1: digest: (sha256:[0-9a-f]{64}) size: \d+").Groups[1].Value;

    [Fact]
    public async Task Zstd_push_to_gantry_registry_and_distribution_gives_oci_zstd_that_pulls_runs_and_skopeo_copies()
    {
        var skopeo = Requires.Command("skopeo");
        using var dir = new TempDirectory();
        await using var own = await TutorialRegistry.StartAsync(dir.Combine("registry"), cancellationToken: Ct);
        using var distribution = DistributionRegistry.StartPlain();
        var cli = NewCli(dir);
        cli.Ok("import", BusyboxRootfs.Get().Tar, "busybox:test");
        var cache = Path.Combine(cli.StoreRoot, "registry-client", "recompressed");
        var i = 0;
        foreach (var host in new[] { own.Host, distribution.Host })
        {
            i++;
            var name = $"{host}/zstd/busybox:v1";
            cli.Ok("tag", "busybox:test", name);
            var push = cli.Ok("push", "--compression-format", "zstd", "--compression-level", "5", name);
            var digest = PushedDigest(push);
            Assert.False(string.IsNullOrEmpty(digest), push);

            // The recompressed layer stays in the store: pushing again recompresses nothing (the cache entry is not rewritten).
            var entries = Directory.GetFiles(cache).ToDictionary(f => f, File.GetLastWriteTimeUtc);
            Assert.NotEmpty(entries);
            var again = cli.Ok("push", "--compression-format", "zstd", "--compression-level", "5", name);
            Assert.Contains(": Layer already exists", again, StringComparison.Ordinal);
            Assert.Equal(digest, PushedDigest(again));
            Assert.Equal(entries, Directory.GetFiles(cache).ToDictionary(f => f, File.GetLastWriteTimeUtc));

            var raw = ProcessRunner.Run(skopeo, ["inspect", "--raw", "--tls-verify=false", $"docker://{name}"]);
            Assert.True(raw.ExitCode == 0, raw.ToString());
            var manifest = JsonDocument.Parse(raw.StdOut).RootElement;
            Assert.Equal("application/vnd.oci.image.manifest.v1+json", manifest.GetProperty("mediaType").GetString());
            Assert.Equal("application/vnd.oci.image.config.v1+json", manifest.GetProperty("config").GetProperty("mediaType").GetString());
            Assert.All(manifest.GetProperty("layers").EnumerateArray(), l => Assert.Equal("application/vnd.oci.image.layer.v1.tar+zstd", l.GetProperty("mediaType").GetString()));

            // skopeo verifies every blob it copies against its digest.
            var copy = ProcessRunner.Run(skopeo, ["copy", "--src-tls-verify=false", $"docker://{name}", $"oci:{dir.Combine($"oci-{i}")}:v1"]);
            Assert.True(copy.ExitCode == 0, copy.ToString());

            // Pulled into an empty store: the same image (diffIDs unchanged), and it runs.
            var other = NewCli(dir, $"pulled-{i}");
            other.Ok("pull", name);
            Assert.Equal(ImageId(cli, "busybox:test"), ImageId(other, name));
            if (Requires.IsRoot && (Requires.Which("crun") is not null || Requires.Which("runc") is not null))
            {
                var run = other.Run(["run", "--rm", name, "/bin/sh", "-c", "echo hello from zstd"], null, null, TimeSpan.FromMinutes(2));
                Assert.True(run.ExitCode == 0, run.ToString());
                Assert.Equal("hello from zstd\n", run.StdOut);
            }
        }

        Assert.SkipUnless(Requires.IsRoot && (Requires.Which("crun") is not null || Requires.Which("runc") is not null),
            "pushed, pulled and skopeo-copied; `gantry run` of the pulled image needs root and crun or runc");
    }

    [Fact]
    public void Gzip_push_keeps_a_docker_manifest_and_bad_flags_fail_clearly()
    {
        using var registry = DistributionRegistry.StartPlain();
        using var dir = new TempDirectory();
        var cli = NewCli(dir);
        cli.Ok("import", BusyboxRootfs.Get().Tar, "busybox:test");
        var name = $"{registry.Host}/gz/busybox:v1";
        cli.Ok("tag", "busybox:test", name);

        var bad = cli.Run("push", "--compression-format", "lz4", name);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("unsupported --compression-format 'lz4': use gzip or zstd", bad.StdErr, StringComparison.Ordinal);
        var level = cli.Run("push", "--compression-format", "gzip", "--compression-level", "12", name);
        Assert.NotEqual(0, level.ExitCode);
        Assert.Contains("--compression-level 12 is out of range for gzip", level.StdErr, StringComparison.Ordinal);
        var alone = cli.Run("push", "--compression-level", "3", name);
        Assert.NotEqual(0, alone.ExitCode);
        Assert.Contains("need --compression-format", alone.StdErr, StringComparison.Ordinal);

        var push = cli.Ok("push", "--compression-format", "gzip", "--compression-level", "1", name);
        Assert.Matches(@"v1: digest: sha256:[0-9a-f]{64} size: \d+", push);
        var other = NewCli(dir, "other");
        other.Ok("pull", name);
        Assert.Equal(ImageId(cli, "busybox:test"), ImageId(other, name));
    }
}
