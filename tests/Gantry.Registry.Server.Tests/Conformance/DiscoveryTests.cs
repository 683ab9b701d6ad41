// Owns: the distribution spec's content discovery checks: tags list with n/last and Link headers, and the catalog.
using System.Net;
using System.Text.Json;

namespace Gantry.Registry.Server.Tests.Conformance;

public sealed class DiscoveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<string>> ListAsync(HttpResponseMessage resp, string property)
    {
        using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync(Ct));
        return [.. doc.RootElement.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];
    }

    [Fact]
    public async Task Tags_list_is_sorted_and_paginates_with_n_last_and_link()
    {
        await using var r = await TestRegistry.StartAsync();
        var (manifest, _, _, _) = await r.PushImageAsync("disco/tags", "v3");
        foreach (var t in new[] { "v1", "v2", "latest", "v4" })
        {
            await r.PutManifestAsync("disco/tags", t, manifest, Gantry.Oci.MediaTypes.OciManifest);
        }

        using var all = await r.Client.GetAsync("/v2/disco/tags/tags/list", Ct);
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Equal(["latest", "v1", "v2", "v3", "v4"], await ListAsync(all, "tags"));

        using var page1 = await r.Client.GetAsync("/v2/disco/tags/tags/list?n=2", Ct);
        Assert.Equal(["latest", "v1"], await ListAsync(page1, "tags"));
        var link = page1.Headers.GetValues("Link").Single();
        Assert.Contains("last=v1", link, StringComparison.Ordinal);
        Assert.Contains("rel=\"next\"", link, StringComparison.Ordinal);

        using var page2 = await r.Client.GetAsync("/v2/disco/tags/tags/list?n=2&last=v1", Ct);
        Assert.Equal(["v2", "v3"], await ListAsync(page2, "tags"));
        using var page3 = await r.Client.GetAsync("/v2/disco/tags/tags/list?n=2&last=v3", Ct);
        Assert.Equal(["v4"], await ListAsync(page3, "tags"));
        Assert.False(page3.Headers.Contains("Link"));

        using var unknown = await r.Client.GetAsync("/v2/disco/nothing/tags/list", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("NAME_UNKNOWN", await TestRegistry.ErrorCodeAsync(unknown));
    }

    [Fact]
    public async Task Catalog_lists_repositories_and_paginates()
    {
        await using var r = await TestRegistry.StartAsync();
        foreach (var repo in new[] { "b/two", "a/one", "c" })
        {
            await r.PushImageAsync(repo, "t");
        }

        using var all = await r.Client.GetAsync("/v2/_catalog", Ct);
        Assert.Equal(["a/one", "b/two", "c"], await ListAsync(all, "repositories"));
        using var page = await r.Client.GetAsync("/v2/_catalog?n=1&last=a/one", Ct);
        Assert.Equal(["b/two"], await ListAsync(page, "repositories"));
        Assert.Contains("last=b%2Ftwo", page.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
    }
}
