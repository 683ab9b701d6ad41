// Owns: the bench's registry load generator: C clients on persistent HTTP/1.1 connections doing monolithic uploads
// (POST + PUT), blob GETs and manifest GETs against any OCI distribution registry; prints one TSV line of results.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace RegLoad;

internal static class Program
{
    private const string Usage = "usage: regload --addr HOST:PORT --repo NAME --clients C --blobs DIR [--gets N] [--timeout SECONDS]\n" +
        "  DIR holds blobs named by their sha256 hex. Prints: upload_MBps download_MBps manifest_gets_per_s errors (TSV).";

    public static async Task<int> Main(string[] args)
    {
        string? addr = null, repo = null, blobs = null;
        int clients = 1, gets = 1000, timeout = 300;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            switch (args[i])
            {
                case "--addr": addr = v; break;
                case "--repo": repo = v; break;
                case "--blobs": blobs = v; break;
                case "--clients": clients = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--gets": gets = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--timeout": timeout = int.Parse(v, CultureInfo.InvariantCulture); break;
                default: await Console.Error.WriteLineAsync(Usage).ConfigureAwait(false); return 2;
            }
        }

        if (addr is null || repo is null || blobs is null || clients < 1)
        {
            await Console.Error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        var files = Directory.GetFiles(blobs).Where(f => Path.GetFileName(f).Length == 64).Order(StringComparer.Ordinal).ToArray();
        var data = files.Select(File.ReadAllBytes).ToArray();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeout));
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = clients,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
        };
        using var http = new HttpClient(handler) { BaseAddress = new Uri($"http://{addr}/"), Timeout = Timeout.InfiniteTimeSpan };
        var load = new Load(http, repo, deadline.Token);
        var mib = data.Sum(d => (long)d.Length) / 1048576.0;

        var up = await load.RunAsync(clients, data.Length, i => load.UploadAsync(files[i], data[i])).ConfigureAwait(false);
        var down = await load.RunAsync(clients, data.Length, i => load.DownloadAsync(Path.GetFileName(files[i]), data[i].Length)).ConfigureAwait(false);
        var man = await load.RunAsync(1, 1, _ => load.PutManifestAsync(Path.GetFileName(files[0]), data[0].Length)).ConfigureAwait(false);
        man = await load.RunAsync(clients, gets, _ => load.GetManifestAsync()).ConfigureAwait(false);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mib / up.TotalSeconds:0.0}\t{mib / down.TotalSeconds:0.0}\t{gets / man.TotalSeconds:0}\t{load.Errors}"));
        return 0;
    }

    private sealed class Load(HttpClient http, string repo, CancellationToken ct)
    {
        private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
        private int _errors;

        public int Errors => Volatile.Read(ref _errors);

        /// <summary>Runs <paramref name="count"/> operations on <paramref name="clients"/> workers; returns the wall time.</summary>
        public async Task<TimeSpan> RunAsync(int clients, int count, Func<int, Task<bool>> op)
        {
            var next = -1;
            var sw = Stopwatch.StartNew();
            var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    bool ok;
                    try
                    {
                        ok = await op(i).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
                    {
                        await Console.Error.WriteLineAsync($"regload: {ex.Message}").ConfigureAwait(false);
                        ok = false;
                    }

                    if (!ok)
                    {
                        Interlocked.Increment(ref _errors);
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers).ConfigureAwait(false);
            return sw.Elapsed;
        }

        public async Task<bool> UploadAsync(string file, byte[] bytes)
        {
            using var post = await http.PostAsync($"v2/{repo}/blobs/uploads/", null, ct).ConfigureAwait(false);
            await post.Content.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
            if (post.StatusCode != HttpStatusCode.Accepted || post.Headers.Location is not { } location)
            {
                return Fail("POST", post.StatusCode);
            }

            var url = location.IsAbsoluteUri ? location.ToString() : location.OriginalString;
            url += (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "digest=sha256:" + Path.GetFileName(file);
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var put = await http.PutAsync(url.StartsWith('/') ? url[1..] : url, content, ct).ConfigureAwait(false);
            await put.Content.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
            return put.StatusCode == HttpStatusCode.Created || Fail("PUT", put.StatusCode);
        }

        public async Task<bool> DownloadAsync(string hex, long size)
        {
            using var resp = await http.GetAsync($"v2/{repo}/blobs/sha256:{hex}", HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            var stream = await resp.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[256 * 1024]; // one per call: workers run concurrently
                long total = 0;
                int n;
                while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    total += n;
                }

                return (resp.StatusCode == HttpStatusCode.OK && total == size) || Fail($"GET blob ({total} of {size} bytes)", resp.StatusCode);
            }
        }

        public async Task<bool> PutManifestAsync(string layerHex, long layerSize)
        {
            var config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"u8.ToArray();
            var configHex = Convert.ToHexStringLower(SHA256.HashData(config));
            if (!await UploadAsync(configHex, config).ConfigureAwait(false))
            {
                return false;
            }

            var manifest = string.Create(CultureInfo.InvariantCulture,
                $"{{\"schemaVersion\":2,\"mediaType\":\"{ManifestType}\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:{configHex}\",\"size\":{config.Length}}},\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:{layerHex}\",\"size\":{layerSize}}}]}}");
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(manifest));
            content.Headers.ContentType = new MediaTypeHeaderValue(ManifestType);
            using var put = await http.PutAsync($"v2/{repo}/manifests/latest", content, ct).ConfigureAwait(false);
            return put.StatusCode == HttpStatusCode.Created || Fail("PUT manifest", put.StatusCode);
        }

        public async Task<bool> GetManifestAsync()
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, $"v2/{repo}/manifests/latest");
            req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(ManifestType));
            using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
            return resp.StatusCode == HttpStatusCode.OK || Fail("GET manifest", resp.StatusCode);
        }

        private bool Fail(string what, HttpStatusCode code)
        {
            Console.Error.WriteLine($"regload: {what}: HTTP {(int)code}");
            return false;
        }
    }
}
