// Owns: the pull-through mirror's client for its upstream registry: manifests and blobs, anonymous or Basic/Bearer auth.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gantry.Oci;

namespace Gantry.Registry.Server.Proxy;

/// <summary>Fetches from the upstream of a mirror. Handles the token dance (anonymous or with credentials) itself.</summary>
public sealed class UpstreamRegistry : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly string? _user;
    private readonly string? _password;
    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);

    public UpstreamRegistry(string remote, string? user, string? password)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (!Uri.TryCreate(remote.TrimEnd('/') + "/", UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new GantryException($"proxy remote '{remote}' is not an http(s) URL: pass e.g. --proxy-remote https://registry-1.docker.io");
        }

        _base = uri;
        _user = user;
        _password = password;
        _http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public Uri BaseAddress => _base;

    /// <summary>GETs a manifest; null on 404. Returns the bytes and the upstream's Content-Type.</summary>
    public async Task<(byte[] Bytes, string? MediaType)?> GetManifestAsync(string repo, string reference, long maxBytes, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(repo, () =>
        {
            var req = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, $"v2/{repo}/manifests/{reference}"));
            foreach (var t in MediaTypes.AllManifestTypes)
            {
                req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(t));
            }

            return req;
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        EnsureSuccess(response, repo, reference);
        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw new GantryException($"upstream manifest {repo}:{reference} is larger than {maxBytes} bytes");
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return (bytes, response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>GETs a blob as a stream; null on 404. The caller disposes the response.</summary>
    public async Task<HttpResponseMessage?> GetBlobAsync(string repo, Digest digest, CancellationToken cancellationToken)
    {
        var response = await SendAsync(repo, () => new HttpRequestMessage(HttpMethod.Get, new Uri(_base, $"v2/{repo}/blobs/{digest}")), cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }

        try
        {
            EnsureSuccess(response, repo, digest.ToString());
        }
        catch
        {
            response.Dispose();
            throw;
        }

        return response;
    }

    private static void EnsureSuccess(HttpResponseMessage response, string repo, string reference)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new GantryException($"upstream answered {(int)response.StatusCode} for {repo}@{reference}");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string repo, Func<HttpRequestMessage> make, CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = make();
            if (_tokens.TryGetValue(repo, out var auth))
            {
                request.Headers.Authorization = AuthenticationHeaderValue.Parse(auth);
            }

            var response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0)
            {
                return response;
            }

            var challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
            response.Dispose();
            if (challenge is null)
            {
                throw new GantryException($"upstream {_base} refused {repo} without saying how to authenticate");
            }

            _tokens[repo] = await AuthorizeAsync(challenge, repo, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string> AuthorizeAsync(AuthenticationHeaderValue challenge, string repo, CancellationToken cancellationToken)
    {
        var basic = _user is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_user}:{_password}"));
        if (string.Equals(challenge.Scheme, "Basic", StringComparison.OrdinalIgnoreCase))
        {
            return basic is null ? throw new GantryException($"upstream {_base} needs credentials: set proxy-username and proxy-password") : $"Basic {basic}";
        }

        var p = ParseParams(challenge.Parameter ?? string.Empty);
        if (!p.TryGetValue("realm", out var realm))
        {
            throw new GantryException($"upstream {_base} sent a Bearer challenge without a realm");
        }

        var url = $"{realm}?scope={Uri.EscapeDataString($"repository:{repo}:pull")}";
        if (p.TryGetValue("service", out var service))
        {
            url += $"&service={Uri.EscapeDataString(service)}";
        }

        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        if (basic is not null)
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
        }

        using var resp = await _http.SendAsync(req, cancellationToken).ConfigureAwait(false);
        if (!resp.IsSuccessStatusCode)
        {
            throw new GantryException($"upstream token realm {realm} answered {(int)resp.StatusCode}");
        }

        using var doc = JsonDocument.Parse(await resp.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
        var token = doc.RootElement.TryGetProperty("token", out var t) ? t.GetString()
            : doc.RootElement.TryGetProperty("access_token", out var at) ? at.GetString() : null;
        return token is null ? throw new GantryException($"upstream token realm {realm} returned no token") : $"Bearer {token}";
    }

    internal static Dictionary<string, string> ParseParams(string s)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && (s[i] == ',' || s[i] == ' '))
            {
                i++;
            }

            var eq = s.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }

            var key = s[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < s.Length && s[i] == '"')
            {
                var end = s.IndexOf('"', i + 1);
                end = end < 0 ? s.Length : end;
                value = s[(i + 1)..end];
                i = end + 1;
            }
            else
            {
                var end = s.IndexOf(',', i);
                end = end < 0 ? s.Length : end;
                value = s[i..end].Trim();
                i = end;
            }

            result[key] = value;
        }

        return result;
    }

    public void Dispose() => _http.Dispose();
}
