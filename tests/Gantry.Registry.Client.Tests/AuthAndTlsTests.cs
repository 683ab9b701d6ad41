// Owns: the client against real registries with TLS (certs.d CA), htpasswd Basic auth and Bearer tokens from the test TokenServer.
using Gantry.Oci;
using Gantry.Registry.Client.Credentials;
using Gantry.TestKit;

namespace Gantry.Registry.Client.Tests;

public sealed class AuthAndTlsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tls_registry_is_trusted_through_the_certs_d_ca_and_refused_without_it()
    {
        using var registry = DistributionRegistry.StartTls();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [5_000]);
        var strict = new RegistryOptions { LoopbackIsInsecure = false, CertsDirectory = registry.CertsDirectory!, MaxRetries = 0 };
        using (var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous, strict))
        {
            Assert.Equal("https", (await client.GetBaseUriAsync(Ct)).Scheme);
            await new PushEngine(source).PushAsync(client, "tls/app", image.Manifest, "v1", null, Ct);
            var pulled = await new PullEngine(new MemoryBlobStore()).PullAsync([client], "tls/app", "v1", null, null, Ct);
            Assert.Equal(image.Config.Digest, pulled.ImageId);
        }

        using var empty = new TempDirectory();
        using var untrusting = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous, strict with { CertsDirectory = empty.FullPath });
        var ex = await Assert.ThrowsAsync<RegistryException>(() => untrusting.GetManifestAsync("tls/app", "v1", Ct));
        Assert.Contains($"cannot reach registry {registry.Host} over https", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_loopback_registry_is_still_used_over_https_though_plain_http_is_asked_first()
    {
        // Loopback counts as insecure, so plain HTTP is asked first; distribution's TLS port answers it with 400.
        using var registry = DistributionRegistry.StartTls();
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [3_000]);
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous, new RegistryOptions { MaxRetries = 0 });
        Assert.Equal("https", (await client.GetBaseUriAsync(Ct)).Scheme);
        await new PushEngine(source).PushAsync(client, "tls/insecure", image.Manifest, "v1", null, Ct);
        var pulled = await new PullEngine(new MemoryBlobStore()).PullAsync([client], "tls/insecure", "v1", null, null, Ct);
        Assert.Equal(image.Config.Digest, pulled.ImageId);
    }

    [Fact]
    public async Task Plain_http_loopback_registry_is_found_over_plain_http()
    {
        using var registry = DistributionRegistry.StartPlain();
        using var client = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        Assert.Equal("http", (await client.GetBaseUriAsync(Ct)).Scheme);
    }

    [Fact]
    public async Task Htpasswd_registry_accepts_the_right_password_and_refuses_others_clearly()
    {
        using var registry = DistributionRegistry.StartHtpasswd("alice", "s3cret-pw");
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [8_000]);
        using (var good = new RegistryClient(registry.Host, new StaticCredentialProvider(new Credential("alice", "s3cret-pw"))))
        {
            await good.LoginAsync(Ct);
            await new PushEngine(source).PushAsync(good, "alice/app", image.Manifest, "v1", null, Ct);
            var pulled = await new PullEngine(new MemoryBlobStore()).PullAsync([good], "alice/app", "v1", null, null, Ct);
            Assert.Equal(image.Config.Digest, pulled.ImageId);
        }

        using (var bad = new RegistryClient(registry.Host, new StaticCredentialProvider(new Credential("alice", "wrong"))))
        {
            var ex = await Assert.ThrowsAsync<RegistryException>(() => bad.LoginAsync(Ct));
            Assert.Contains("incorrect username or password", ex.Message, StringComparison.Ordinal);
            var pullEx = await Assert.ThrowsAsync<RegistryException>(() => new PullEngine(new MemoryBlobStore()).PullAsync([bad], "alice/app", "v1", null, null, Ct));
            Assert.True(pullEx.IsUnauthorized, pullEx.Message);
        }

        using var anonymous = new RegistryClient(registry.Host, StaticCredentialProvider.Anonymous);
        var anonEx = await Assert.ThrowsAsync<RegistryException>(() => anonymous.GetManifestAsync("alice/app", "v1", Ct));
        Assert.Contains($"gantry login {registry.Host}", anonEx.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bearer_tokens_are_fetched_per_scope_and_cached()
    {
        using var tokens = new TokenServer();
        tokens.Users["bob"] = "hunter22";
        using var registry = DistributionRegistry.StartToken(tokens);
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [6_000, 7_000]);
        using var client = new RegistryClient(registry.Host, new StaticCredentialProvider(new Credential("bob", "hunter22")));
        await client.LoginAsync(Ct);
        await new PushEngine(source).PushAsync(client, "bob/app", image.Manifest, "v1", null, Ct);
        var pulled = await new PullEngine(new MemoryBlobStore()).PullAsync([client], "bob/app", "v1", null, null, Ct);
        Assert.Equal(image.Config.Digest, pulled.ImageId);
        Assert.Contains("repository:bob/app:pull,push", tokens.RequestedScopes);
        Assert.Contains("repository:bob/app:pull", tokens.RequestedScopes);
        // One token per scope, not one per request.
        Assert.True(tokens.Requests < 8, $"{tokens.Requests} token requests: {string.Join(" | ", tokens.RequestedScopes)}");
    }

    [Fact]
    public async Task Identity_token_uses_the_oauth2_refresh_flow()
    {
        using var tokens = new TokenServer();
        tokens.Users["carol"] = "pw-carol";
        using var registry = DistributionRegistry.StartToken(tokens);
        string refresh;
        using (var login = new RegistryClient(registry.Host, new StaticCredentialProvider(new Credential("carol", "pw-carol"))))
        {
            // Login asks for an offline token (offline_token=true, as docker does): the token service answers with a refresh token.
            await login.LoginAsync(Ct);
            refresh = login.RefreshToken ?? string.Empty;
        }

        Assert.Contains(refresh, tokens.IssuedRefreshTokens);
        Assert.Equal(["basic"], tokens.Grants);
        tokens.Users.Clear();

        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [1_000]);
        using var client = new RegistryClient(registry.Host, new StaticCredentialProvider(Credential.FromIdentityToken(refresh)));
        await new PushEngine(source).PushAsync(client, "carol/app", image.Manifest, "v1", null, Ct);
        Assert.NotNull(await client.HeadManifestAsync("carol/app", "v1", Ct));
        Assert.All(tokens.Grants.Skip(1), g => Assert.Equal("refresh_token", g));

        using var revoked = new RegistryClient(registry.Host, new StaticCredentialProvider(Credential.FromIdentityToken("not-a-refresh-token")));
        var ex = await Assert.ThrowsAsync<RegistryException>(() => revoked.GetManifestAsync("carol/app", "v1", Ct));
        Assert.Contains("incorrect username or password", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_and_expired_tokens_give_clear_errors()
    {
        using var tokens = new TokenServer();
        tokens.Users["dave"] = "right";
        using var registry = DistributionRegistry.StartToken(tokens);
        using (var wrong = new RegistryClient(registry.Host, new StaticCredentialProvider(new Credential("dave", "wrong"))))
        {
            var ex = await Assert.ThrowsAsync<RegistryException>(() => wrong.LoginAsync(Ct));
            Assert.Contains("incorrect username or password", ex.Message, StringComparison.Ordinal);
        }

        tokens.TokenLifetime = TimeSpan.FromMinutes(-5);
        using var expired = new RegistryClient(registry.Host, new StaticCredentialProvider(new Credential("dave", "right")));
        var expiredEx = await Assert.ThrowsAsync<RegistryException>(() => expired.GetManifestAsync("dave/app", "v1", Ct));
        Assert.True(expiredEx.IsUnauthorized, expiredEx.Message);
        Assert.Contains("unauthorized", expiredEx.Message, StringComparison.Ordinal);

        // Once the token service issues good tokens again, the same client recovers by fetching a new one on 401.
        tokens.TokenLifetime = TimeSpan.FromMinutes(5);
        var source = new MemoryBlobStore();
        var image = await TestImage.CreateAsync(source, [1_000]);
        await new PushEngine(source).PushAsync(expired, "dave/app", image.Manifest, "v1", null, Ct);
    }

    [Fact]
    public async Task Credentials_are_not_sent_to_a_plain_http_realm_of_another_host()
    {
        using var tokens = new TokenServer();
        tokens.Users["erin"] = "pw";
        using var registry = DistributionRegistry.StartToken(tokens);
        // Reach the registry as "localhost:PORT": the realm (127.0.0.1) is then another host over plain HTTP.
        using var client = new RegistryClient($"localhost:{registry.Port}", new StaticCredentialProvider(new Credential("erin", "pw")));
        var ex = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync("erin/app", "v1", Ct));
        Assert.Contains("refusing to send credentials", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, tokens.Requests);
    }
}
