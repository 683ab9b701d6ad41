// Owns: the distribution spec's push conformance checks: monolithic, POST?digest=, chunked with ordering, status, cancel, mount, manifests.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gantry.Oci;

namespace Gantry.Registry.Server.Tests.Conformance;

public sealed class PushTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Post_with_digest_pushes_a_blob_in_one_request()
    {
        await using var r = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(5000);
        var digest = TestRegistry.DigestOf(bytes);
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var resp = await r.Client.PostAsync($"/v2/push/single/blobs/uploads/?digest={digest}", content, Ct);
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        Assert.EndsWith($"/v2/push/single/blobs/{digest}", resp.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(digest.ToString(), resp.Headers.GetValues("Docker-Content-Digest").Single());
        using var get = await r.Client.GetAsync(resp.Headers.Location, Ct);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Post_then_put_pushes_a_blob_and_the_upload_is_gone_afterwards()
    {
        await using var r = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(4096);
        using var post = await r.Client.PostAsync("/v2/push/mono/blobs/uploads/", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        var location = post.Headers.Location!;
        Assert.False(string.IsNullOrEmpty(post.Headers.GetValues("Docker-Upload-UUID").Single()));
        var digest = TestRegistry.DigestOf(bytes);
        using var put = await r.Client.PutAsync(TestRegistry.WithQuery(location, $"digest={digest}"), new ByteArrayContent(bytes), Ct);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var status = await r.Client.GetAsync(location, Ct);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        Assert.Equal("BLOB_UPLOAD_UNKNOWN", await TestRegistry.ErrorCodeAsync(status));
    }

    [Fact]
    public async Task Chunked_upload_enforces_order_reports_status_and_commits()
    {
        await using var r = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(3 * 65536 + 17);
        var digest = TestRegistry.DigestOf(bytes);
        using var post = await r.Client.PostAsync("/v2/push/chunked/blobs/uploads/", null, Ct);
        var location = post.Headers.Location!;

        async Task<HttpResponseMessage> Patch(Uri where, int start, int length)
        {
            using var req = new HttpRequestMessage(HttpMethod.Patch, where) { Content = new ByteArrayContent(bytes, start, length) };
            req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            req.Content.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + length - 1}");
            return await r.Client.SendAsync(req, Ct);
        }

        using (var first = await Patch(location, 0, 65536))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            Assert.Equal("0-65535", first.Headers.GetValues("Range").Single());
            location = first.Headers.Location!;
        }

        // Out of order: skipping ahead is 416 and changes nothing.
        using (var skip = await Patch(location, 2 * 65536, 65536))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, skip.StatusCode);
            Assert.Equal("0-65535", skip.Headers.GetValues("Range").Single());
        }

        using (var status = await r.Client.GetAsync(location, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal("0-65535", status.Headers.GetValues("Range").Single());
        }

        using (var second = await Patch(location, 65536, 2 * 65536))
        {
            Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
            location = second.Headers.Location!;
        }

        // The last chunk rides on the PUT.
        using var put = new HttpRequestMessage(HttpMethod.Put, TestRegistry.WithQuery(location, $"digest={digest}")) { Content = new ByteArrayContent(bytes, 3 * 65536, 17) };
        put.Content.Headers.TryAddWithoutValidation("Content-Range", $"{3 * 65536}-{(3 * 65536) + 16}");
        using var done = await r.Client.SendAsync(put, Ct);
        Assert.Equal(HttpStatusCode.Created, done.StatusCode);
        using var get = await r.Client.GetAsync($"/v2/push/chunked/blobs/{digest}", Ct);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Streamed_patch_without_content_range_appends()
    {
        await using var r = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(100_000);
        using var post = await r.Client.PostAsync("/v2/push/stream/blobs/uploads/", null, Ct);
        using var patch = await r.Client.PatchAsync(post.Headers.Location, new StreamContent(new MemoryStream(bytes)), Ct);
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        Assert.Equal("0-99999", patch.Headers.GetValues("Range").Single());
        using var put = await r.Client.PutAsync(TestRegistry.WithQuery(patch.Headers.Location!, $"digest={TestRegistry.DigestOf(bytes)}"), null, Ct);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    public async Task Cancelled_upload_is_unknown_afterwards()
    {
        await using var r = await TestRegistry.StartAsync();
        using var post = await r.Client.PostAsync("/v2/push/cancel/blobs/uploads/", null, Ct);
        using var patch = await r.Client.PatchAsync(post.Headers.Location, new ByteArrayContent(new byte[10]), Ct);
        using var del = await r.Client.DeleteAsync(patch.Headers.Location, Ct);
        Assert.Equal(HttpStatusCode.NoContent, del.StatusCode);
        using var status = await r.Client.GetAsync(patch.Headers.Location, Ct);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        Assert.Empty(Directory.GetDirectories(Path.Combine(r.Root, "uploads")));
    }

    [Fact]
    public async Task Cross_repository_mount_links_an_existing_blob_and_falls_back_to_an_upload()
    {
        await using var r = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(2048);
        var digest = await r.PushBlobAsync("mount/source", bytes);
        using var mount = await r.Client.PostAsync($"/v2/mount/target/blobs/uploads/?mount={digest}&from=mount/source", null, Ct);
        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        Assert.EndsWith($"/v2/mount/target/blobs/{digest}", mount.Headers.Location!.ToString(), StringComparison.Ordinal);
        using var get = await r.Client.GetAsync($"/v2/mount/target/blobs/{digest}", Ct);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync(Ct));

        var missing = TestRegistry.DigestOf(TestRegistry.RandomBytes(8));
        using var fallback = await r.Client.PostAsync($"/v2/mount/target/blobs/uploads/?mount={missing}&from=mount/source", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, fallback.StatusCode);
        Assert.Contains("/blobs/uploads/", fallback.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifest_put_by_tag_and_by_digest_returns_location_and_digest()
    {
        await using var r = await TestRegistry.StartAsync();
        var (manifest, digest, _, _) = await r.PushImageAsync("push/manifest", "latest");
        using var byDigest = await r.PutManifestRawAsync("push/manifest", digest.ToString(), manifest, MediaTypes.OciManifest);
        Assert.Equal(HttpStatusCode.Created, byDigest.StatusCode);
        Assert.EndsWith($"/v2/push/manifest/manifests/{digest}", byDigest.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(digest.ToString(), byDigest.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Fact]
    public async Task Artifact_manifest_with_the_empty_config_and_no_layers_is_accepted()
    {
        await using var r = await TestRegistry.StartAsync();
        var empty = "{}"u8.ToArray();
        var e = await r.PushBlobAsync("push/artifact", empty);
        var manifest = TestRegistry.ImageManifest(e, 2, [], configType: MediaTypes.OciEmpty, artifactType: "application/vnd.example+type");
        await r.PutManifestAsync("push/artifact", "art", manifest, MediaTypes.OciManifest);
    }

    [Fact]
    public async Task Sha512_blobs_and_manifests_are_supported()
    {
        await using var r = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(777);
        var d512 = TestRegistry.Sha512Of(bytes);
        using var post = await r.Client.PostAsync($"/v2/push/sha512/blobs/uploads/?digest={d512}", new ByteArrayContent(bytes), Ct);
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        using var get = await r.Client.GetAsync($"/v2/push/sha512/blobs/{d512}", Ct);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(d512, get.Headers.GetValues("Docker-Content-Digest").Single());

        var (manifest, _, _, _) = await r.PushImageAsync("push/sha512", "t");
        var m512 = TestRegistry.Sha512Of(manifest);
        using var put = await r.PutManifestRawAsync("push/sha512", m512, manifest, MediaTypes.OciManifest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var mget = await r.Client.GetAsync($"/v2/push/sha512/manifests/{m512}", Ct);
        Assert.Equal(manifest, await mget.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Index_needs_its_children_present()
    {
        await using var r = await TestRegistry.StartAsync();
        var (m, d, _, _) = await r.PushImageAsync("push/index", "child");
        var missing = TestRegistry.DigestOf(Encoding.UTF8.GetBytes("nope"));
        string Index(Digest child) => $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[{{\"mediaType\":\"{MediaTypes.OciManifest}\",\"digest\":\"{child}\",\"size\":{m.Length}}}]}}";
        using var bad = await r.PutManifestRawAsync("push/index", "bad", Encoding.UTF8.GetBytes(Index(missing)), MediaTypes.OciIndex);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("MANIFEST_BLOB_UNKNOWN", await TestRegistry.ErrorCodeAsync(bad));
        await r.PutManifestAsync("push/index", "good", Encoding.UTF8.GetBytes(Index(d)), MediaTypes.OciIndex);
    }

    [Fact]
    public async Task Upload_status_waits_for_a_patch_still_writing_and_reports_where_it_ended()
    {
        await using var r = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(256 * 1024);
        using var post = await r.Client.PostAsync("/v2/push/settle/blobs/uploads/", null, Ct);
        var location = post.Headers.Location!;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A PATCH that sends half its body, then stalls until released (as a cut connection does before the server notices).
        using var patchClient = new HttpClient { BaseAddress = r.Server.BaseAddress };
        using var req = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new StallingContent(bytes, bytes.Length / 2, release.Task) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        req.Content.Headers.ContentLength = bytes.Length;
        var patch = patchClient.SendAsync(req, Ct);

        // Wait until the server is inside the PATCH: its upload file has the first half.
        var data = Path.Combine(r.Root, "uploads", location.ToString().TrimEnd('/').Split('/')[^1].Split('?')[0], "data");
        for (var i = 0; i < 600 && !(File.Exists(data) && new FileInfo(data).Length >= bytes.Length / 2); i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.True(File.Exists(data) && new FileInfo(data).Length >= bytes.Length / 2, $"the PATCH never reached {data}");
        var status = r.Client.GetAsync(location, Ct);
        await Task.Delay(200, Ct);
        release.SetResult();
        using (var patched = await patch)
        {
            Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);
        }

        using var answer = await status;
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal($"0-{bytes.Length - 1}", answer.Headers.GetValues("Range").Single());
    }

    /// <summary>Request content that writes <c>first</c> bytes, flushes, waits for <c>release</c>, then writes the rest.</summary>
    private sealed class StallingContent(byte[] bytes, int first, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(bytes.AsMemory(0, first), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            await release.WaitAsync(cancellationToken);
            await stream.WriteAsync(bytes.AsMemory(first), cancellationToken);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }
}
