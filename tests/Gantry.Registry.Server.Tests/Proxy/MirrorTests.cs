// Owns: the pull-through mirror: fetch once from an upstream (Debian's docker-registry or Gantry's own), then serve locally.
using System.Net;
using Gantry.Oci;
using Gantry.Registry.Server.Tests.Interop;
using Gantry.TestKit;

namespace Gantry.Registry.Server.Tests.Proxy;

public sealed class MirrorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Mirror_fetches_from_docker_registry_once_then_serves_without_it()
    {
        var upstream = DistributionRegistry.StartPlain();
        try
        {
            await MirrorScenarioAsync(upstream);
        }
        finally
        {
            upstream.Dispose();
        }
    }

    private static async Task MirrorScenarioAsync(DistributionRegistry upstream)
    {
        byte[] manifest;
        Digest digest, layer;
        byte[] layerBytes;
        await using (var pusher = new SpecPusher(upstream.BaseUri))
        {
            (manifest, digest, layer, layerBytes) = await pusher.PushImageAsync("library/tool", "1.0");
        }

        await using var mirror = await TestRegistry.StartAsync(o => o with { ProxyRemote = upstream.BaseUri.ToString(), ProxyTagTtl = TimeSpan.FromHours(1) });
        using (var m = await mirror.Client.GetAsync("/v2/library/tool/manifests/1.0", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, m.StatusCode);
            Assert.Equal(manifest, await m.Content.ReadAsByteArrayAsync(Ct));
            Assert.Equal(digest.ToString(), m.Headers.GetValues("Docker-Content-Digest").Single());
        }

        using (var b = await mirror.Client.GetAsync($"/v2/library/tool/blobs/{layer}", Ct))
        {
            Assert.Equal(layerBytes, await b.Content.ReadAsByteArrayAsync(Ct));
        }

        // Upstream gone: the mirror still serves what it fetched.
        upstream.Dispose();
        using var again = await mirror.Client.GetAsync("/v2/library/tool/manifests/1.0", Ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var byDigest = await mirror.Client.GetAsync($"/v2/library/tool/manifests/{digest}", Ct);
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        using var blob = await mirror.Client.GetAsync($"/v2/library/tool/blobs/{layer}", Ct);
        Assert.Equal(layerBytes, await blob.Content.ReadAsByteArrayAsync(Ct));
        Assert.Contains("registry_proxy_fetches_total 2", await mirror.Client.GetStringAsync("/metrics", Ct), StringComparison.Ordinal);

        // A mirror refuses pushes.
        using var push = await mirror.Client.PostAsync("/v2/library/tool/blobs/uploads/", null, Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, push.StatusCode);
    }

    [Fact]
    public async Task Concurrent_first_pulls_of_a_blob_share_one_upstream_fetch()
    {
        await using var upstream = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(2_000_000);
        var digest = await upstream.PushBlobAsync("lib/big", bytes);
        await using var mirror = await TestRegistry.StartAsync(o => o with { ProxyRemote = upstream.Server.BaseAddress.ToString() });
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            using var resp = await mirror.Client.GetAsync($"/v2/lib/big/blobs/{digest}", Ct);
            return await resp.Content.ReadAsByteArrayAsync(Ct);
        }));
        Assert.All(results, r => Assert.Equal(bytes, r));
        var upstreamGets = upstream.Log.Split('\n').Count(l => l.Contains("method=GET", StringComparison.Ordinal) && l.Contains($"/blobs/{digest}", StringComparison.Ordinal));
        Assert.Equal(1, upstreamGets);
        using var missing = await mirror.Client.GetAsync($"/v2/lib/big/blobs/{TestRegistry.DigestOf([1, 2, 3])}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
