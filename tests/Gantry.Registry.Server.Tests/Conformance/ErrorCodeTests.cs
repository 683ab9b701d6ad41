// Owns: bad input and the spec's error codes: wrong digests, missing references, malformed/oversized manifests, bad names, disconnects.
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gantry.Oci;

namespace Gantry.Registry.Server.Tests.Conformance;

public sealed class ErrorCodeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static int CountBlobs(string root) =>
        Directory.Exists(Path.Combine(root, "blobs")) ? Directory.GetFiles(Path.Combine(root, "blobs"), "*", SearchOption.AllDirectories).Length : 0;

    [Fact]
    public async Task Blob_bytes_not_matching_the_digest_are_digest_invalid_and_nothing_is_stored()
    {
        await using var r = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(1000);
        var wrong = TestRegistry.DigestOf(TestRegistry.RandomBytes(1000));
        using var post = await r.Client.PostAsync("/v2/bad/digest/blobs/uploads/", null, Ct);
        using var put = await r.Client.PutAsync(TestRegistry.WithQuery(post.Headers.Location!, $"digest={wrong}"), new ByteArrayContent(bytes), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("DIGEST_INVALID", await TestRegistry.ErrorCodeAsync(put));
        using var get = await r.Client.GetAsync($"/v2/bad/digest/blobs/{wrong}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(0, CountBlobs(r.Root));

        using var mono = await r.Client.PostAsync($"/v2/bad/digest/blobs/uploads/?digest={wrong}", new ByteArrayContent(bytes), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, mono.StatusCode);
        Assert.Equal(0, CountBlobs(r.Root));
        Assert.Empty(Directory.GetDirectories(Path.Combine(r.Root, "uploads")));
    }

    [Fact]
    public async Task Malformed_digests_and_unknown_uploads_get_their_codes()
    {
        await using var r = await TestRegistry.StartAsync();
        using var blob = await r.Client.GetAsync("/v2/bad/x/blobs/sha256:nothex", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, blob.StatusCode);
        Assert.Equal("DIGEST_INVALID", await TestRegistry.ErrorCodeAsync(blob));
        using var upload = await r.Client.GetAsync($"/v2/bad/x/blobs/uploads/{Guid.NewGuid()}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, upload.StatusCode);
        Assert.Equal("BLOB_UPLOAD_UNKNOWN", await TestRegistry.ErrorCodeAsync(upload));
        using var put = await r.Client.PutAsync("/v2/bad/x/blobs/uploads/../../../../etc", new ByteArrayContent([1]), Ct);
        Assert.NotEqual(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    public async Task Manifest_referencing_missing_blobs_is_refused_and_not_served()
    {
        await using var r = await TestRegistry.StartAsync();
        var config = "{}"u8.ToArray();
        var c = await r.PushBlobAsync("bad/refs", config);
        var missingLayer = TestRegistry.DigestOf(TestRegistry.RandomBytes(16));
        var manifest = TestRegistry.ImageManifest(c, config.Length, [(missingLayer, 16)]);
        using var put = await r.PutManifestRawAsync("bad/refs", "t", manifest, MediaTypes.OciManifest);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("MANIFEST_BLOB_UNKNOWN", await TestRegistry.ErrorCodeAsync(put));
        using var get = await r.Client.GetAsync("/v2/bad/refs/manifests/t", Ct);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using var byDigest = await r.Client.GetAsync($"/v2/bad/refs/manifests/{TestRegistry.DigestOf(manifest)}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, byDigest.StatusCode);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("{\"schemaVersion\":1}")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[]}")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:zz\",\"size\":1},\"layers\":[]}")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"config\":{}}")]
    public async Task Malformed_manifests_are_manifest_invalid(string body)
    {
        await using var r = await TestRegistry.StartAsync();
        using var put = await r.PutManifestRawAsync("bad/manifest", "t", Encoding.UTF8.GetBytes(body), MediaTypes.OciManifest);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("MANIFEST_INVALID", await TestRegistry.ErrorCodeAsync(put));
    }

    [Fact]
    public async Task Manifest_whose_media_type_contradicts_content_type_is_invalid()
    {
        await using var r = await TestRegistry.StartAsync();
        var (manifest, _, _, _) = await r.PushImageAsync("bad/ctype", "ok");
        using var put = await r.PutManifestRawAsync("bad/ctype", "t", manifest, MediaTypes.DockerManifest);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("MANIFEST_INVALID", await TestRegistry.ErrorCodeAsync(put));
    }

    [Fact]
    public async Task Oversized_manifest_is_refused_with_413()
    {
        await using var r = await TestRegistry.StartAsync(o => o with { MaxManifestBytes = 64 * 1024 });
        var big = Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"annotations\":{\"a\":\"" + new string('x', 100 * 1024) + "\"}}");
        using var put = await r.PutManifestRawAsync("bad/big", "t", big, MediaTypes.OciManifest);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);
        using var chunkedBody = new HttpRequestMessage(HttpMethod.Put, "/v2/bad/big/manifests/t2") { Content = new StreamContent(new MemoryStream(big)) };
        chunkedBody.Headers.TransferEncodingChunked = true;
        using var put2 = await r.Client.SendAsync(chunkedBody, Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put2.StatusCode);
        using var ok = await r.Client.GetAsync("/v2/", Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Manifest_put_by_a_digest_that_does_not_match_is_digest_invalid()
    {
        await using var r = await TestRegistry.StartAsync();
        var (manifest, _, _, _) = await r.PushImageAsync("bad/mdigest", "ok");
        var wrong = TestRegistry.DigestOf(TestRegistry.RandomBytes(4));
        using var put = await r.PutManifestRawAsync("bad/mdigest", wrong.ToString(), manifest, MediaTypes.OciManifest);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("DIGEST_INVALID", await TestRegistry.ErrorCodeAsync(put));
    }

    [Theory]
    [InlineData("UPPER/case")]
    [InlineData("a/..%2F..%2Fetc")]
    [InlineData("a/_layers")]
    [InlineData("-lead")]
    [InlineData("a//b")]
    public async Task Invalid_repository_names_are_name_invalid(string name)
    {
        await using var r = await TestRegistry.StartAsync();
        using var post = await r.Client.PostAsync($"/v2/{name}/blobs/uploads/", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Equal("NAME_INVALID", await TestRegistry.ErrorCodeAsync(post));
        Assert.Empty(Directory.GetDirectories(Path.Combine(r.Root, "uploads")));
    }

    [Fact]
    public async Task Dot_segments_in_raw_paths_never_reach_outside_the_root()
    {
        await using var r = await TestRegistry.StartAsync();
        var response = await RawAsync(r, "POST /v2/../../../../tmp/evil/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        Assert.DoesNotContain(" 202 ", response.Split('\n')[0], StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(Path.Combine(r.Root, "uploads")));
        Assert.False(Directory.Exists(Path.Combine(r.Root, "..", "tmp", "evil")));
    }

    [Fact]
    public async Task Client_disconnect_mid_upload_stores_nothing_and_the_server_keeps_serving()
    {
        await using var r = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(200_000);
        var digest = TestRegistry.DigestOf(bytes);

        // Monolithic: the body stops halfway.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(r.Server.BaseAddress.Host, r.Server.Port, Ct);
            var stream = tcp.GetStream();
            var head = Encoding.ASCII.GetBytes($"POST /v2/cut/off/blobs/uploads/?digest={digest} HTTP/1.1\r\nHost: x\r\nContent-Length: {bytes.Length}\r\n\r\n");
            await stream.WriteAsync(head, Ct);
            await stream.WriteAsync(bytes.AsMemory(0, 100_000), Ct);
            await stream.FlushAsync(Ct);
        }

        // Chunked: a PATCH stops halfway, then the client resumes from the reported offset.
        using var post = await r.Client.PostAsync("/v2/cut/off/blobs/uploads/", null, Ct);
        var location = post.Headers.Location!;
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(r.Server.BaseAddress.Host, r.Server.Port, Ct);
            var stream = tcp.GetStream();
            var head = Encoding.ASCII.GetBytes($"PATCH {location} HTTP/1.1\r\nHost: x\r\nContent-Length: {bytes.Length}\r\n\r\n");
            await stream.WriteAsync(head, Ct);
            await stream.WriteAsync(bytes.AsMemory(0, 50_000), Ct);
            await stream.FlushAsync(Ct);
        }

        using var ok = await r.Client.GetAsync("/v2/", Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var blob = await r.Client.GetAsync($"/v2/cut/off/blobs/{digest}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, blob.StatusCode);

        // Whatever arrived is kept in order; resume from there and finish.
        long offset = -1;
        for (var i = 0; i < 200 && offset < 0; i++)
        {
            using var status = await r.Client.GetAsync(location, Ct);
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            var range = status.Headers.GetValues("Range").Single();
            var end = long.Parse(range.Split('-')[1], System.Globalization.CultureInfo.InvariantCulture);
            if (r.Server.Storage.ActiveUploads >= 1 && !UploadBusy(r, location))
            {
                offset = end == 0 && range == "0-0" ? 0 : end + 1;
            }
            else
            {
                await Task.Delay(50, Ct);
            }
        }

        Assert.InRange(offset, 0, 50_000);
        using var put = new HttpRequestMessage(HttpMethod.Put, TestRegistry.WithQuery(location, $"digest={digest}")) { Content = new ByteArrayContent(bytes, (int)offset, bytes.Length - (int)offset) };
        put.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{bytes.Length - 1}");
        using var done = await r.Client.SendAsync(put, Ct);
        Assert.Equal(HttpStatusCode.Created, done.StatusCode);
        using var get = await r.Client.GetAsync($"/v2/cut/off/blobs/{digest}", Ct);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync(Ct));
    }

    private static bool UploadBusy(TestRegistry r, Uri location)
    {
        var id = location.ToString().Split('/').Last();
        var session = r.Server.Storage.GetUpload("cut/off", id);
        if (session is null || !session.Gate.Wait(0, Ct))
        {
            return true;
        }

        session.Gate.Release();
        return false;
    }

    private static async Task<string> RawAsync(TestRegistry r, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(r.Server.BaseAddress.Host, r.Server.Port, Ct);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), Ct);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(Ct);
    }
}
