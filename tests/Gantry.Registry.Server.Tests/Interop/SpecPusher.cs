// Owns: pushing a small image over plain HTTP to any registry (used to seed an upstream such as Debian's docker-registry).
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gantry.Oci;

namespace Gantry.Registry.Server.Tests.Interop;

/// <summary>A minimal push client written from the spec, independent of Gantry's registry client.</summary>
public sealed class SpecPusher(Uri baseAddress) : IAsyncDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public HttpClient Http => _http;

    public async Task<Digest> PushBlobAsync(string repo, byte[] bytes)
    {
        var digest = Digest.Compute(bytes);
        using var post = await _http.PostAsync($"/v2/{repo}/blobs/uploads/", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        var location = post.Headers.Location!;
        if (!location.IsAbsoluteUri)
        {
            location = new Uri(_http.BaseAddress!, location);
        }

        using var put = await _http.PutAsync(TestRegistry.WithQuery(location, $"digest={digest}"), new ByteArrayContent(bytes), Ct);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return digest;
    }

    public async Task<(byte[] Manifest, Digest Digest, Digest Layer, byte[] LayerBytes)> PushImageAsync(string repo, string tag)
    {
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
        var layer = TestRegistry.RandomBytes(4096);
        var c = await PushBlobAsync(repo, config);
        var l = await PushBlobAsync(repo, layer);
        var manifest = TestRegistry.ImageManifest(c, config.Length, [(l, layer.Length)]);
        using var req = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repo}/manifests/{tag}") { Content = new ByteArrayContent(manifest) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.OciManifest);
        using var resp = await _http.SendAsync(req, Ct);
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        return (manifest, Digest.Compute(manifest), l, layer);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
