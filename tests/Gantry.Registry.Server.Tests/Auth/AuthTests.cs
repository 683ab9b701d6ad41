// Owns: auth checks: htpasswd Basic, the built-in token endpoint and scopes, external-realm tokens, anonymous pull, every route guarded.
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gantry.Registry.Server.Auth;
using Gantry.TestKit;

namespace Gantry.Registry.Server.Tests.Auth;

public sealed class AuthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string MakeHtpasswd(string dir, string user, string password)
    {
        var tool = Requires.Command("htpasswd", "apache2-utils");
        var path = Path.Combine(dir, "htpasswd");
        var result = ProcessRunner.Run(tool, ["-Bbc", path, user, password]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return path;
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    [Fact]
    public async Task Htpasswd_basic_auth_guards_pushes_and_pulls()
    {
        using var tmp = new TempDirectory("gantry-auth");
        var htpasswd = MakeHtpasswd(tmp.FullPath, "alice", "s3cret");
        await using var r = await TestRegistry.StartAsync(o => o with { Htpasswd = htpasswd });

        using var ping = await r.Client.GetAsync("/v2/", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, ping.StatusCode);
        Assert.StartsWith("Basic realm=", ping.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal("UNAUTHORIZED", await TestRegistry.ErrorCodeAsync(ping));

        using var anonPush = await r.Client.PostAsync("/v2/secure/app/blobs/uploads/", null, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonPush.StatusCode);
        Assert.Empty(Directory.GetDirectories(Path.Combine(r.Root, "uploads")));

        r.Client.DefaultRequestHeaders.Authorization = Basic("alice", "wrong");
        using var wrong = await r.Client.PostAsync("/v2/secure/app/blobs/uploads/", null, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        r.Client.DefaultRequestHeaders.Authorization = Basic("alice", "s3cret");
        var (_, digest, _, _) = await r.PushImageAsync("secure/app", "v1");

        r.Client.DefaultRequestHeaders.Authorization = null;
        using var anonPull = await r.Client.GetAsync($"/v2/secure/app/manifests/{digest}", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonPull.StatusCode);
    }

    [Fact]
    public async Task Anonymous_pull_allows_reads_but_not_writes()
    {
        using var tmp = new TempDirectory("gantry-auth");
        var htpasswd = MakeHtpasswd(tmp.FullPath, "bob", "pw");
        await using var r = await TestRegistry.StartAsync(o => o with { Htpasswd = htpasswd, AnonymousPull = true });
        r.Client.DefaultRequestHeaders.Authorization = Basic("bob", "pw");
        var (_, digest, _, layer) = await r.PushImageAsync("open/app", "v1");
        r.Client.DefaultRequestHeaders.Authorization = null;
        using var get = await r.Client.GetAsync($"/v2/open/app/manifests/v1", Ct);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        using var blob = await r.Client.GetAsync($"/v2/open/app/blobs/{layer}", Ct);
        Assert.Equal(HttpStatusCode.OK, blob.StatusCode);
        using var push = await r.Client.PostAsync("/v2/open/app/blobs/uploads/", null, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, push.StatusCode);
        using var del = await r.Client.DeleteAsync($"/v2/open/app/manifests/{digest}", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, del.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/v2/")]
    [InlineData("GET", "/v2/_catalog")]
    [InlineData("GET", "/v2/x/y/manifests/latest")]
    [InlineData("HEAD", "/v2/x/y/manifests/latest")]
    [InlineData("PUT", "/v2/x/y/manifests/latest")]
    [InlineData("DELETE", "/v2/x/y/manifests/latest")]
    [InlineData("GET", "/v2/x/y/blobs/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("DELETE", "/v2/x/y/blobs/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("POST", "/v2/x/y/blobs/uploads/")]
    [InlineData("GET", "/v2/x/y/blobs/uploads/6f0f3d4e-2a54-4f6c-9b37-2d7b5f7e8a11")]
    [InlineData("PATCH", "/v2/x/y/blobs/uploads/6f0f3d4e-2a54-4f6c-9b37-2d7b5f7e8a11")]
    [InlineData("PUT", "/v2/x/y/blobs/uploads/6f0f3d4e-2a54-4f6c-9b37-2d7b5f7e8a11")]
    [InlineData("DELETE", "/v2/x/y/blobs/uploads/6f0f3d4e-2a54-4f6c-9b37-2d7b5f7e8a11")]
    [InlineData("GET", "/v2/x/y/tags/list")]
    [InlineData("GET", "/v2/x/y/referrers/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public async Task Every_registry_route_demands_credentials_in_token_mode(string method, string path)
    {
        await using var r = await TestRegistry.StartAsync(o => o with { TokenRealm = "auto" });
        using var req = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "PUT" or "PATCH" or "POST")
        {
            req.Content = new ByteArrayContent("{}"u8.ToArray());
        }

        using var resp = await r.Client.SendAsync(req, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
        var challenge = resp.Headers.WwwAuthenticate.ToString();
        Assert.StartsWith($"Bearer realm=\"{r.Server.BaseAddress}token\"", challenge, StringComparison.Ordinal);
        Assert.Contains("service=\"gantry-registry\"", challenge, StringComparison.Ordinal);
    }

    private static async Task<string> TokenAsync(TestRegistry r, string scope, AuthenticationHeaderValue? auth)
    {
        using var client = new HttpClient { BaseAddress = r.Server.BaseAddress };
        using var req = new HttpRequestMessage(HttpMethod.Get, $"/token?service=gantry-registry&scope={Uri.EscapeDataString(scope)}");
        req.Headers.Authorization = auth;
        using var resp = await client.SendAsync(req, Ct);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.GetProperty("token").GetString()!;
    }

    [Fact]
    public async Task Token_endpoint_issues_scoped_tokens_and_wrong_scopes_are_refused()
    {
        using var tmp = new TempDirectory("gantry-auth");
        var htpasswd = MakeHtpasswd(tmp.FullPath, "carol", "pw");
        await using var r = await TestRegistry.StartAsync(o => o with { Htpasswd = htpasswd, TokenRealm = "auto" });

        using (var bad = new HttpRequestMessage(HttpMethod.Get, "/token?scope=repository:team/app:pull,push"))
        {
            bad.Headers.Authorization = Basic("carol", "nope");
            using var resp = await r.Client.SendAsync(bad, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
        }

        var push = await TokenAsync(r, "repository:team/app:pull,push", Basic("carol", "pw"));
        r.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", push);
        var (_, digest, _, _) = await r.PushImageAsync("team/app", "v1");

        // A token for another repository does not open this one.
        using var other = await r.Client.PostAsync("/v2/team/other/blobs/uploads/", null, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", other.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("scope=\"repository:team/other:pull,push\"", other.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        // A pull-only token reads but cannot write or delete.
        var pull = await TokenAsync(r, "repository:team/app:pull", Basic("carol", "pw"));
        r.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", pull);
        using var get = await r.Client.GetAsync($"/v2/team/app/manifests/{digest}", Ct);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        using var write = await r.Client.PostAsync("/v2/team/app/blobs/uploads/", null, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, write.StatusCode);
        using var catalog = await r.Client.GetAsync("/v2/_catalog", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, catalog.StatusCode);

        // Anonymous token requests get nothing without anonymous pull.
        var anon = await TokenAsync(r, "repository:team/app:pull", null);
        r.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", anon);
        using var anonGet = await r.Client.GetAsync($"/v2/team/app/manifests/{digest}", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonGet.StatusCode);

        // A forged token is refused.
        r.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", push[..^4] + "AAAA");
        using var forged = await r.Client.GetAsync($"/v2/team/app/manifests/{digest}", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
    }

    [Fact]
    public async Task Tokens_of_an_external_realm_are_verified_with_its_public_key()
    {
        using var tmp = new TempDirectory("gantry-auth");
        using var realmKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicPem = tmp.WriteFile("realm.pub", realmKey.ExportSubjectPublicKeyInfoPem());
        await using var r = await TestRegistry.StartAsync(o => o with
        {
            TokenRealm = "https://auth.example.test/token",
            TokenService = "registry.example.test",
            TokenIssuer = "auth.example.test",
            TokenCertificate = publicPem,
        });

        using var realm = new TokenService("auth.example.test", "registry.example.test", realmKey.ExportPkcs8PrivateKeyPem());
        var good = realm.Issue("dave", [new AccessScope("repository", "ext/app", ["pull", "push"])], TimeSpan.FromMinutes(5));
        r.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", good);
        await r.PushImageAsync("ext/app", "v1");

        using var stranger = new TokenService("auth.example.test", "registry.example.test");
        var forged = stranger.Issue("eve", [new AccessScope("repository", "ext/app", ["pull", "push"])], TimeSpan.FromMinutes(5));
        r.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", forged);
        using var resp = await r.Client.GetAsync("/v2/ext/app/manifests/v1", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
        Assert.Contains("realm=\"https://auth.example.test/token\"", resp.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        var wrongAudience = new TokenService("auth.example.test", "other-service", realmKey.ExportPkcs8PrivateKeyPem())
            .Issue("dave", [new AccessScope("repository", "ext/app", ["pull"])], TimeSpan.FromMinutes(5));
        r.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", wrongAudience);
        using var aud = await r.Client.GetAsync("/v2/ext/app/manifests/v1", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, aud.StatusCode);
    }
}
