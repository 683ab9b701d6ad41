// Owns: a Docker-Hub-style Bearer token service on loopback (JWT RS256 with an x5c chain), for registries set up with `auth: token`.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Gantry.TestKit;

/// <summary>
/// Issues JWTs the way Docker Hub's auth service does: <c>GET /token?service=…&amp;scope=…&amp;account=…</c> with optional Basic
/// credentials, and the OAuth2 <c>POST /token</c> (grant_type password or refresh_token). Users in <see cref="Users"/> get
/// every action they ask for (or what <see cref="Grant"/> allows); anonymous callers get "pull" only when
/// <see cref="AnonymousPull"/> is set. Tokens are RS256-signed with a self-signed certificate carried in the x5c header;
/// distribution verifies them against <see cref="CertificateBundlePath"/>.
/// </summary>
public sealed class TokenServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly TempDirectory _dir = new("gantry-tokens");
    private readonly ConcurrentDictionary<string, string> _refreshTokens = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _cts = new();

    public TokenServer(string service = "gantry-test-registry", string issuer = "gantry-test-token-issuer")
    {
        Service = service;
        Issuer = issuer;
        var request = new CertificateRequest("CN=gantry test token signer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        CertificateBundlePath = _dir.WriteFile("token-bundle.pem", _certificate.ExportCertificatePem() + "\n");
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = ServeAsync();
    }

    public string Service { get; }

    public string Issuer { get; }

    public int Port { get; }

    /// <summary>The realm a registry sends clients to: http://127.0.0.1:PORT/token.</summary>
    public string Realm => $"http://127.0.0.1:{Port}/token";

    /// <summary>PEM of the signing certificate, for distribution's <c>auth.token.rootcertbundle</c>.</summary>
    public string CertificateBundlePath { get; }

    /// <summary>user → password.</summary>
    public ConcurrentDictionary<string, string> Users { get; } = new(StringComparer.Ordinal);

    public bool AnonymousPull { get; set; }

    /// <summary>Optional policy: (user or null, repository, wanted actions) → granted actions.</summary>
    public Func<string?, string, IReadOnlyList<string>, IReadOnlyList<string>>? Grant { get; set; }

    /// <summary>How long issued tokens live; a negative value issues already-expired tokens (beyond distribution's 60 s leeway use ≤ -2 min).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many tokens were requested (GET and POST).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The scopes of every token request, in order.</summary>
    public ConcurrentQueue<string> RequestedScopes { get; } = new();

    /// <summary>
    /// How every successful token request authenticated, in order: "basic" (GET with Basic credentials), "anonymous" (GET
    /// without), "password" (OAuth2 POST grant_type=password) or "refresh_token" (OAuth2 POST grant_type=refresh_token).
    /// </summary>
    public ConcurrentQueue<string> Grants { get; } = new();

    /// <summary>The refresh tokens handed out so far (GET with offline_token=true, or any successful OAuth2 POST).</summary>
    public IReadOnlyCollection<string> IssuedRefreshTokens => _refreshTokens.Keys.ToArray();

    /// <summary>Forgets every refresh token: later refresh_token grants are refused as invalid_grant.</summary>
    public void RevokeRefreshTokens() => _refreshTokens.Clear();

    private int _requests;

    private async Task ServeAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => Handle(context));
        }
    }

    private void Handle(HttpListenerContext context)
    {
        try
        {
            Interlocked.Increment(ref _requests);
            var req = context.Request;
            if (req.Url?.AbsolutePath != "/token")
            {
                Respond(context, 404, """{"error":"not found"}""");
                return;
            }

            string? user = null;
            string[] scopes;
            bool offline;
            string grantUsed;
            if (req.HttpMethod == "POST")
            {
                using var reader = new StreamReader(req.InputStream, Encoding.UTF8);
                var form = ParseQuery(reader.ReadToEnd());
                scopes = form.GetValueOrDefault("scope", []).SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
                offline = true;
                var grant = form.GetValueOrDefault("grant_type", []).FirstOrDefault();
                grantUsed = grant ?? string.Empty;
                if (grant == "refresh_token")
                {
                    var rt = form.GetValueOrDefault("refresh_token", []).FirstOrDefault() ?? string.Empty;
                    if (!_refreshTokens.TryGetValue(rt, out user))
                    {
                        Respond(context, 401, """{"error":"invalid_grant"}""");
                        return;
                    }
                }
                else if (grant == "password")
                {
                    var u = form.GetValueOrDefault("username", []).FirstOrDefault() ?? string.Empty;
                    var p = form.GetValueOrDefault("password", []).FirstOrDefault() ?? string.Empty;
                    if (!Users.TryGetValue(u, out var expected) || expected != p)
                    {
                        Respond(context, 401, """{"error":"invalid_grant"}""");
                        return;
                    }

                    user = u;
                }
                else
                {
                    Respond(context, 400, """{"error":"unsupported_grant_type"}""");
                    return;
                }
            }
            else
            {
                var query = ParseQuery(req.Url.Query.TrimStart('?'));
                scopes = query.GetValueOrDefault("scope", []).ToArray();
                offline = query.GetValueOrDefault("offline_token", []).FirstOrDefault() == "true";
                var auth = req.Headers["Authorization"];
                grantUsed = auth is null ? "anonymous" : "basic";
                if (auth is not null)
                {
                    if (!auth.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
                    {
                        Respond(context, 401, """{"details":"unsupported authorization"}""");
                        return;
                    }

                    var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth[6..].Trim()));
                    var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                    var u = colon < 0 ? decoded : decoded[..colon];
                    var p = colon < 0 ? string.Empty : decoded[(colon + 1)..];
                    if (!Users.TryGetValue(u, out var expected) || expected != p)
                    {
                        Respond(context, 401, """{"details":"incorrect username or password"}""");
                        return;
                    }

                    user = u;
                }
            }

            RequestedScopes.Enqueue(string.Join(' ', scopes));
            Grants.Enqueue(grantUsed);
            var token = IssueToken(user, scopes);
            var refresh = string.Empty;
            if (user is not null && offline)
            {
                var rt = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                _refreshTokens[rt] = user;
                refresh = $",\"refresh_token\":\"{rt}\"";
            }

            var lifetime = (int)Math.Max(1, TokenLifetime.TotalSeconds);
            Respond(context, 200, $"{{\"token\":\"{token}\",\"access_token\":\"{token}\",\"expires_in\":{lifetime},\"issued_at\":\"{DateTimeOffset.UtcNow:O}\"{refresh}}}");
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or FormatException or ObjectDisposedException)
        {
            try
            {
                Respond(context, 400, """{"error":"bad request"}""");
            }
            catch (Exception inner) when (inner is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
    }

    /// <summary>Signs a token for <paramref name="user"/> (null: anonymous) granting what the policy allows of <paramref name="scopes"/>.</summary>
    public string IssueToken(string? user, IEnumerable<string> scopes)
    {
        var now = DateTimeOffset.UtcNow;
        using var claims = new MemoryStream();
        using (var w = new Utf8JsonWriter(claims))
        {
            w.WriteStartObject();
            w.WriteString("iss", Issuer);
            w.WriteString("sub", user ?? string.Empty);
            w.WriteString("aud", Service);
            w.WriteNumber("exp", (now + TokenLifetime).ToUnixTimeSeconds());
            w.WriteNumber("nbf", Math.Min(now.ToUnixTimeSeconds() - 10, (now + TokenLifetime).ToUnixTimeSeconds() - 10));
            w.WriteNumber("iat", now.ToUnixTimeSeconds());
            w.WriteString("jti", Guid.NewGuid().ToString("N"));
            w.WriteStartArray("access");
            foreach (var scope in scopes)
            {
                var first = scope.IndexOf(':', StringComparison.Ordinal);
                var last = scope.LastIndexOf(':');
                if (first < 0 || last <= first)
                {
                    continue;
                }

                var type = scope[..first];
                var name = scope[(first + 1)..last];
                var wanted = scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
                IReadOnlyList<string> granted = Grant is not null ? Grant(user, name, wanted)
                    : user is not null ? wanted
                    : AnonymousPull ? wanted.Where(a => a == "pull").ToArray() : [];
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WriteString("name", name);
                w.WriteStartArray("actions");
                foreach (var a in granted)
                {
                    w.WriteStringValue(a);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        var header = $"{{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\"{Convert.ToBase64String(_certificate.RawData)}\"]}}";
        var signingInput = B64Url(Encoding.UTF8.GetBytes(header)) + "." + B64Url(claims.ToArray());
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + B64Url(signature);
    }

    private static string B64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static Dictionary<string, List<string>> ParseQuery(string query)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var k = Uri.UnescapeDataString((eq < 0 ? part : part[..eq]).Replace('+', ' '));
            var v = eq < 0 ? string.Empty : Uri.UnescapeDataString(part[(eq + 1)..].Replace('+', ' '));
            if (!result.TryGetValue(k, out var list))
            {
                result[k] = list = [];
            }

            list.Add(v);
        }

        return result;
    }

    private static void Respond(HttpListenerContext context, int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _cts.Cancel();
        _listener.Close();
        _key.Dispose();
        _certificate.Dispose();
        _cts.Dispose();
        _dir.Dispose();
    }
}
