// Owns: starting an in-process registry on 127.0.0.1:0 for a test, and the small HTTP helpers the tests share.
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gantry.Oci;
using Gantry.Registry.Server;
using Gantry.Registry.Server.Configuration;
using Gantry.TestKit;

namespace Gantry.Registry.Server.Tests;

/// <summary>A live registry on a free loopback port with its own temp root, plus an HttpClient pointed at it.</summary>
public sealed class TestRegistry : IAsyncDisposable
{
    private readonly TempDirectory _dir;

    private TestRegistry(TempDirectory dir, RegistryServer server, StringWriter log)
    {
        _dir = dir;
        Server = server;
        LogWriter = log;
        Client = new HttpClient { BaseAddress = server.BaseAddress };
    }

    public RegistryServer Server { get; }

    public HttpClient Client { get; }

    public string Root => Server.Storage.Root;

    public string TempPath => _dir.FullPath;

    private StringWriter LogWriter { get; }

    public string Log
    {
        get
        {
            lock (LogWriter)
            {
                return LogWriter.ToString();
            }
        }
    }

    public static async Task<TestRegistry> StartAsync(Func<RegistryOptions, RegistryOptions>? configure = null)
    {
        var dir = new TempDirectory("gantry-registry");
        var options = new RegistryOptions { Root = dir.Combine("root"), Address = "127.0.0.1:0", DeleteEnabled = true, GcInterval = TimeSpan.Zero, Fsync = false };
        options = configure?.Invoke(options) ?? options;
        var log = new StringWriter();
        var server = await RegistryServer.StartAsync(options, new LockedWriter(log), TestContext.Current.CancellationToken);
        return new TestRegistry(dir, server, log);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        _dir.Dispose();
    }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static byte[] RandomBytes(int size)
    {
        var b = new byte[size];
        Random.Shared.NextBytes(b);
        return b;
    }

    public static Digest DigestOf(byte[] bytes) => Digest.Compute(bytes);

    /// <summary>Monolithic push (POST then PUT with the body); asserts 201.</summary>
    public async Task<Digest> PushBlobAsync(string repo, byte[] bytes)
    {
        var digest = DigestOf(bytes);
        using var post = await Client.PostAsync($"/v2/{repo}/blobs/uploads/", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        using var put = new HttpRequestMessage(HttpMethod.Put, WithQuery(post.Headers.Location!, $"digest={digest}"))
        {
            Content = new ByteArrayContent(bytes),
        };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var resp = await Client.SendAsync(put, Ct);
        Assert.True(resp.StatusCode == HttpStatusCode.Created, await resp.Content.ReadAsStringAsync(Ct));
        return digest;
    }

    public static string WithQuery(Uri location, string query)
    {
        var s = location.ToString();
        return s + (s.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query;
    }

    /// <summary>Builds an image manifest (config + layers already pushed) and returns its bytes.</summary>
    public static byte[] ImageManifest(Digest config, long configSize, IEnumerable<(Digest Digest, long Size)> layers, string mediaType = MediaTypes.OciManifest,
        string configType = MediaTypes.OciConfig, string? subject = null, long subjectSize = 0, string? artifactType = null, string? annotation = null)
    {
        var layerType = mediaType == MediaTypes.DockerManifest ? MediaTypes.DockerLayerGzip : MediaTypes.OciLayerGzip;
        var sb = new StringBuilder();
        sb.Append($"{{\"schemaVersion\":2,\"mediaType\":\"{mediaType}\",");
        if (artifactType is not null)
        {
            sb.Append($"\"artifactType\":\"{artifactType}\",");
        }

        sb.Append($"\"config\":{{\"mediaType\":\"{configType}\",\"digest\":\"{config}\",\"size\":{configSize}}},\"layers\":[");
        sb.Append(string.Join(',', layers.Select(l => $"{{\"mediaType\":\"{layerType}\",\"digest\":\"{l.Digest}\",\"size\":{l.Size}}}")));
        sb.Append(']');
        if (subject is not null)
        {
            sb.Append($",\"subject\":{{\"mediaType\":\"{MediaTypes.OciManifest}\",\"digest\":\"{subject}\",\"size\":{subjectSize}}}");
        }

        if (annotation is not null)
        {
            sb.Append($",\"annotations\":{{\"org.example.note\":\"{annotation}\"}}");
        }

        sb.Append('}');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>Pushes a config and one layer, then a manifest under <paramref name="reference"/>; returns the manifest bytes and digest.</summary>
    public async Task<(byte[] Manifest, Digest Digest, Digest Config, Digest Layer)> PushImageAsync(string repo, string reference, string mediaType = MediaTypes.OciManifest, int layerSize = 1024)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}},\"n\":\"{Guid.NewGuid()}\"}}");
        var layer = RandomBytes(layerSize);
        var c = await PushBlobAsync(repo, config);
        var l = await PushBlobAsync(repo, layer);
        var manifest = ImageManifest(c, config.Length, [(l, layer.Length)], mediaType, mediaType == MediaTypes.DockerManifest ? MediaTypes.DockerConfig : MediaTypes.OciConfig);
        var digest = await PutManifestAsync(repo, reference, manifest, mediaType);
        return (manifest, digest, c, l);
    }

    public async Task<HttpResponseMessage> PutManifestRawAsync(string repo, string reference, byte[] manifest, string mediaType)
    {
        using var req = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repo}/manifests/{reference}") { Content = new ByteArrayContent(manifest) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return await Client.SendAsync(req, Ct);
    }

    public async Task<Digest> PutManifestAsync(string repo, string reference, byte[] manifest, string mediaType)
    {
        using var resp = await PutManifestRawAsync(repo, reference, manifest, mediaType);
        Assert.True(resp.StatusCode == HttpStatusCode.Created, $"{resp.StatusCode}: {await resp.Content.ReadAsStringAsync(Ct)}");
        return Digest.Parse(resp.Headers.GetValues("Docker-Content-Digest").Single());
    }

    /// <summary>The first error code of a spec error body.</summary>
    public static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("errors")[0].GetProperty("code").GetString()!;
    }

    public static string Sha512Of(byte[] bytes) => "sha512:" + Convert.ToHexStringLower(SHA512.HashData(bytes));

    private sealed class LockedWriter(StringWriter inner) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (inner)
            {
                inner.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (inner)
            {
                inner.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (inner)
            {
                inner.WriteLine(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override Task FlushAsync() => Task.CompletedTask;
    }
}
