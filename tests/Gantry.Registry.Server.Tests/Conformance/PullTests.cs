// Owns: the distribution spec's pull conformance checks (manifests and blobs by tag and digest, HEAD, Range, media types).
using System.Net;
using System.Net.Http.Headers;
using Gantry.Oci;

namespace Gantry.Registry.Server.Tests.Conformance;

public sealed class PullTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Base_endpoint_answers_200_with_the_api_version_header()
    {
        await using var r = await TestRegistry.StartAsync();
        using var resp = await r.Client.GetAsync("/v2/", Ct);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("registry/2.0", resp.Headers.GetValues("Docker-Distribution-API-Version").Single());
    }

    [Theory]
    [InlineData(MediaTypes.OciManifest)]
    [InlineData(MediaTypes.DockerManifest)]
    public async Task Manifest_by_tag_and_by_digest_returns_the_pushed_bytes_with_type_and_digest(string mediaType)
    {
        await using var r = await TestRegistry.StartAsync();
        var (manifest, digest, _, _) = await r.PushImageAsync("conformance/pull", "v1", mediaType);
        foreach (var reference in new[] { "v1", digest.ToString() })
        {
            using var resp = await r.Client.GetAsync($"/v2/conformance/pull/manifests/{reference}", Ct);
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            Assert.Equal(mediaType, resp.Content.Headers.ContentType!.MediaType);
            Assert.Equal(digest.ToString(), resp.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal(manifest, await resp.Content.ReadAsByteArrayAsync(Ct));

            using var head = await r.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/conformance/pull/manifests/{reference}"), Ct);
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(manifest.Length, head.Content.Headers.ContentLength);
            Assert.Equal(digest.ToString(), head.Headers.GetValues("Docker-Content-Digest").Single());
        }
    }

    [Fact]
    public async Task Blob_get_and_head_return_content_length_and_digest()
    {
        await using var r = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(300_000);
        var digest = await r.PushBlobAsync("conformance/blob", bytes);
        using var head = await r.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/conformance/blob/blobs/{digest}"), Ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(bytes.Length, head.Content.Headers.ContentLength);
        Assert.Equal(digest.ToString(), head.Headers.GetValues("Docker-Content-Digest").Single());
        using var get = await r.Client.GetAsync($"/v2/conformance/blob/blobs/{digest}", Ct);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Blob_range_requests_return_206_with_the_requested_bytes_and_416_past_the_end()
    {
        await using var r = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(10_000);
        var digest = await r.PushBlobAsync("conformance/range", bytes);
        using var req = new HttpRequestMessage(HttpMethod.Get, $"/v2/conformance/range/blobs/{digest}");
        req.Headers.Range = new RangeHeaderValue(100, 1099);
        using var resp = await r.Client.SendAsync(req, Ct);
        Assert.Equal(HttpStatusCode.PartialContent, resp.StatusCode);
        Assert.Equal(bytes.AsSpan(100, 1000).ToArray(), await resp.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("bytes 100-1099/10000", resp.Content.Headers.ContentRange!.ToString());

        using var suffix = new HttpRequestMessage(HttpMethod.Get, $"/v2/conformance/range/blobs/{digest}");
        suffix.Headers.Range = new RangeHeaderValue(null, 10);
        using var sresp = await r.Client.SendAsync(suffix, Ct);
        Assert.Equal(bytes[^10..], await sresp.Content.ReadAsByteArrayAsync(Ct));

        using var past = new HttpRequestMessage(HttpMethod.Get, $"/v2/conformance/range/blobs/{digest}");
        past.Headers.Range = new RangeHeaderValue(20_000, 30_000);
        using var presp = await r.Client.SendAsync(past, Ct);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, presp.StatusCode);
    }

    [Fact]
    public async Task Unknown_manifest_and_blob_are_404_with_spec_codes()
    {
        await using var r = await TestRegistry.StartAsync();
        await r.PushImageAsync("conformance/missing", "present");
        using var m = await r.Client.GetAsync("/v2/conformance/missing/manifests/absent", Ct);
        Assert.Equal(HttpStatusCode.NotFound, m.StatusCode);
        Assert.Equal("MANIFEST_UNKNOWN", await TestRegistry.ErrorCodeAsync(m));
        var other = TestRegistry.DigestOf(TestRegistry.RandomBytes(10));
        using var b = await r.Client.GetAsync($"/v2/conformance/missing/blobs/{other}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, b.StatusCode);
        Assert.Equal("BLOB_UNKNOWN", await TestRegistry.ErrorCodeAsync(b));
        using var bh = await r.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/conformance/missing/blobs/{other}"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, bh.StatusCode);
    }

    [Fact]
    public async Task A_blob_pushed_to_one_repository_is_not_served_from_another()
    {
        await using var r = await TestRegistry.StartAsync();
        var digest = await r.PushBlobAsync("team/a", TestRegistry.RandomBytes(100));
        using var resp = await r.Client.GetAsync($"/v2/team/b/blobs/{digest}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, resp.StatusCode);
    }

    [Fact]
    public async Task Image_index_is_served_with_its_media_type()
    {
        await using var r = await TestRegistry.StartAsync();
        var (m1, d1, _, _) = await r.PushImageAsync("conformance/index", d1Tag());
        var index = System.Text.Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[{{\"mediaType\":\"{MediaTypes.OciManifest}\",\"digest\":\"{d1}\",\"size\":{m1.Length},\"platform\":{{\"architecture\":\"amd64\",\"os\":\"linux\"}}}}]}}");
        var digest = await r.PutManifestAsync("conformance/index", "multi", index, MediaTypes.OciIndex);
        using var resp = await r.Client.GetAsync("/v2/conformance/index/manifests/multi", Ct);
        Assert.Equal(MediaTypes.OciIndex, resp.Content.Headers.ContentType!.MediaType);
        Assert.Equal(digest.ToString(), resp.Headers.GetValues("Docker-Content-Digest").Single());

        static string d1Tag() => "child";
    }
}
