// Owns: the distribution spec's content management checks: deleting tags, manifests and blobs, and the switch that forbids it.
using System.Net;
using Gantry.Oci;

namespace Gantry.Registry.Server.Tests.Conformance;

public sealed class ManagementTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Deleting_a_tag_keeps_the_manifest_by_digest()
    {
        await using var r = await TestRegistry.StartAsync();
        var (_, digest, _, _) = await r.PushImageAsync("manage/tag", "gone");
        using var del = await r.Client.DeleteAsync("/v2/manage/tag/manifests/gone", Ct);
        Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        using var byTag = await r.Client.GetAsync("/v2/manage/tag/manifests/gone", Ct);
        Assert.Equal(HttpStatusCode.NotFound, byTag.StatusCode);
        using var byDigest = await r.Client.GetAsync($"/v2/manage/tag/manifests/{digest}", Ct);
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
    }

    [Fact]
    public async Task Deleting_a_manifest_by_digest_removes_it_and_its_tags()
    {
        await using var r = await TestRegistry.StartAsync();
        var (_, digest, _, _) = await r.PushImageAsync("manage/manifest", "t1");
        using var del = await r.Client.DeleteAsync($"/v2/manage/manifest/manifests/{digest}", Ct);
        Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        using var get = await r.Client.GetAsync($"/v2/manage/manifest/manifests/{digest}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using var tag = await r.Client.GetAsync("/v2/manage/manifest/manifests/t1", Ct);
        Assert.Equal(HttpStatusCode.NotFound, tag.StatusCode);
        using var again = await r.Client.DeleteAsync($"/v2/manage/manifest/manifests/{digest}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("MANIFEST_UNKNOWN", await TestRegistry.ErrorCodeAsync(again));
    }

    [Fact]
    public async Task Deleting_a_blob_makes_it_unknown()
    {
        await using var r = await TestRegistry.StartAsync();
        var digest = await r.PushBlobAsync("manage/blob", TestRegistry.RandomBytes(64));
        using var del = await r.Client.DeleteAsync($"/v2/manage/blob/blobs/{digest}", Ct);
        Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        using var head = await r.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/manage/blob/blobs/{digest}"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task Deletes_are_refused_with_unsupported_unless_enabled()
    {
        await using var r = await TestRegistry.StartAsync(o => o with { DeleteEnabled = false });
        var (_, digest, _, layer) = await r.PushImageAsync("manage/off", "t");
        using var del = await r.Client.DeleteAsync($"/v2/manage/off/manifests/{digest}", Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, del.StatusCode);
        Assert.Equal("UNSUPPORTED", await TestRegistry.ErrorCodeAsync(del));
        using var blob = await r.Client.DeleteAsync($"/v2/manage/off/blobs/{layer}", Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, blob.StatusCode);
        using var still = await r.Client.GetAsync($"/v2/manage/off/manifests/{digest}", Ct);
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task Read_only_registry_serves_pulls_and_refuses_pushes()
    {
        var dir = new Gantry.TestKit.TempDirectory("gantry-ro");
        try
        {
            Digest digest;
            await using (var rw = await TestRegistry.StartAsync(o => o with { Root = dir.Combine("root") }))
            {
                (_, digest, _, _) = await rw.PushImageAsync("ro/image", "t");
            }

            await using var ro = await TestRegistry.StartAsync(o => o with { Root = dir.Combine("root"), ReadOnly = true });
            using var get = await ro.Client.GetAsync($"/v2/ro/image/manifests/{digest}", Ct);
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            using var post = await ro.Client.PostAsync("/v2/ro/image/blobs/uploads/", null, Ct);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
            Assert.Equal("UNSUPPORTED", await TestRegistry.ErrorCodeAsync(post));
        }
        finally
        {
            dir.Dispose();
        }
    }
}
