// Owns: the tutorials' shared world: the docker.io mirror (gantry registry serve with node and hello-world), a warm store, env.
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gantry.TestKit;

namespace Gantry.Acceptance.Tests;

/// <summary>
/// Prepared once for every tutorial test: a <c>gantry registry serve</c> on 127.0.0.1 (free port) whose storage is cached under
/// /var/tmp/gantry-test-cache (keyed by the base images' recipe) and holds <c>library/node:19.2-alpine3.16</c>,
/// <c>library/node:15.12.0-slim</c> and <c>library/hello-world:latest</c>; every gantry the tests run sees it as the docker.io
/// mirror through <c>GANTRY_REGISTRY_MIRRORS</c>. A first run imports and pushes the images (a minute or two, after the node rootfs
/// is made); later runs only start the server.
/// </summary>
public sealed class TutorialEnvironment : IAsyncLifetime
{
    public const string Collection = "tutorials";

    private static readonly string[] ManifestAccept =
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ];

    private TempDirectory? _work;
    private TutorialRegistry? _mirror;

    /// <summary>Why the tutorials cannot run on this machine (not root, no busybox-static, …), or null.</summary>
    public string? SkipReason { get; private set; }

    public TutorialRegistry Mirror => _mirror ?? throw new InvalidOperationException("the tutorial mirror is not running");

    /// <summary>A scratch folder living as long as the fixture.</summary>
    public TempDirectory Work => _work ?? throw new InvalidOperationException("the tutorial environment is not initialized");

    /// <summary>A store shared by the tests that build from node (its base layer is pulled and unpacked once).</summary>
    public string SharedStore => Work.Combine("shared-store");

    /// <summary>A new empty store folder (removed with the environment: unpacked node layers are slow to delete).</summary>
    public string NewStore(string name)
    {
        var dir = Work.Combine($"store-{name}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Skips the test, with the reason, when the machine cannot run the tutorials.</summary>
    public void Require() => Assert.SkipWhen(SkipReason is not null, SkipReason ?? "");

    /// <summary>A gantry bound to <paramref name="storeRoot"/> (default: the shared store) with the mirror configured.</summary>
    public GantryCli Cli(string? storeRoot = null, string? dockerConfig = null) =>
        new(storeRoot ?? SharedStore, Environment(dockerConfig));

    /// <summary>The environment every gantry of the tutorials gets: mirror, no user config, private DOCKER_CONFIG.</summary>
    public Dictionary<string, string?> Environment(string? dockerConfig = null) => new()
    {
        ["GANTRY_REGISTRY_MIRRORS"] = Mirror.BaseAddress.ToString().TrimEnd('/'),
        ["GANTRY_CONFIG"] = Work.Combine("no-gantry-config.toml"),
        ["DOCKER_CONFIG"] = dockerConfig ?? Work.Combine("docker-config"),
    };

    public async ValueTask InitializeAsync()
    {
        _work = new TempDirectory("gantry-tutorials");
        SkipReason = !Requires.IsRoot ? "needs root (overlayfs mounts, crun)"
            : Requires.Which("busybox") is null ? "needs 'busybox' on PATH (apt-get install busybox-static; scripts/install-deps.sh does this)"
            : Requires.Which("crun") is null && Requires.Which("runc") is null ? "needs 'crun' or 'runc' on PATH (apt-get install crun; scripts/install-deps.sh does this)"
            : !File.Exists(Path.Combine(RepoLayout.Root, "scripts", "make-node-rootfs.sh")) ? "scripts/make-node-rootfs.sh is missing"
            : null;
        if (SkipReason is not null)
        {
            return;
        }

        var ct = TestContext.Current.CancellationToken;
        var cacheDir = Path.Combine(BaseImages.CacheRoot, $"tutorial-mirror-{BaseImages.RecipeKey}");
        Directory.CreateDirectory(cacheDir);
        await using var lockFile = await LockAsync(Path.Combine(cacheDir, ".lock"), ct);
        _mirror = await TutorialRegistry.StartAsync(Path.Combine(cacheDir, "registry"), cancellationToken: ct);
        if (!await MirrorIsCompleteAsync(ct))
        {
            await PopulateAsync(ct);
            Assert.True(await MirrorIsCompleteAsync(ct), $"the tutorial mirror at {Mirror.BaseAddress} lacks images right after pushing them:\n{Mirror.Log}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_mirror is not null)
        {
            await _mirror.DisposeAsync();
        }

        if (_work is not null)
        {
            // The shared store holds unpacked node rootfs snapshots: removing them can take minutes on a busy disk.
            var dir = _work.FullPath;
            try
            {
                await ProcessRunner.RunAsync("sh", ["-c", $"grep -F ' {dir}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l 2>/dev/null; chmod -R u+rwX '{dir}' 2>/dev/null; rm -rf '{dir}'"], timeout: TimeSpan.FromMinutes(15));
            }
            catch (TimeoutException)
            {
            }

            _work.Dispose();
        }
    }

    /// <summary>Imports the base rootfs tarballs into a scratch store and pushes them to the mirror as library/node and library/hello-world.</summary>
    private async Task PopulateAsync(CancellationToken ct)
    {
        var scratch = NewStore("seed");
        var cli = new GantryCli(scratch, new Dictionary<string, string?> { ["GANTRY_CONFIG"] = Work.Combine("no-gantry-config.toml"), ["DOCKER_CONFIG"] = Path.Combine(scratch, "docker") });
        var host = Mirror.Host;
        var importNode = new List<string> { "import" };
        foreach (var change in BaseImages.NodeChanges)
        {
            importNode.AddRange(["--change", change]);
        }

        importNode.AddRange([BaseImages.NodeRootfsTar, $"{host}/library/node:{BaseImages.NodeTags[0]}"]);
        await OkAsync(cli, importNode, ct);
        foreach (var tag in BaseImages.NodeTags.Skip(1))
        {
            await OkAsync(cli, ["tag", $"{host}/library/node:{BaseImages.NodeTags[0]}", $"{host}/library/node:{tag}"], ct);
        }

        await OkAsync(cli, ["import", "--change", "CMD [\"/hello\"]", BaseImages.HelloWorldRootfsTar, $"{host}/library/hello-world:latest"], ct);
        foreach (var tag in BaseImages.NodeTags)
        {
            await OkAsync(cli, ["push", $"{host}/library/node:{tag}"], ct);
        }

        await OkAsync(cli, ["push", $"{host}/library/hello-world:latest"], ct);
    }

    private static async Task OkAsync(GantryCli cli, IEnumerable<string> args, CancellationToken ct)
    {
        var list = args.ToList();
        var r = await cli.RunAsync(list, timeout: TimeSpan.FromMinutes(10), cancellationToken: ct);
        Assert.True(r.ExitCode == 0, $"preparing the tutorial mirror: gantry {string.Join(' ', list)} failed: {r}");
    }

    /// <summary>True when every tag's manifest, config and layers are served.</summary>
    private async Task<bool> MirrorIsCompleteAsync(CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = Mirror.BaseAddress, Timeout = TimeSpan.FromMinutes(1) };
        var refs = BaseImages.NodeTags.Select(t => ("library/node", t)).Append(("library/hello-world", "latest"));
        foreach (var (repo, tag) in refs)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repo}/manifests/{tag}");
            foreach (var a in ManifestAccept)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(a));
            }

            using var response = await http.SendAsync(request, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            var digests = new List<string>();
            if (doc.RootElement.TryGetProperty("config", out var config))
            {
                digests.Add(config.GetProperty("digest").GetString()!);
            }

            if (doc.RootElement.TryGetProperty("layers", out var layers))
            {
                digests.AddRange(layers.EnumerateArray().Select(l => l.GetProperty("digest").GetString()!));
            }

            if (digests.Count == 0)
            {
                return false;
            }

            foreach (var d in digests)
            {
                using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repo}/blobs/{d}"), ct);
                if (head.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static async Task<FileStream> LockAsync(string path, CancellationToken ct)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (i < 1200)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }
}
