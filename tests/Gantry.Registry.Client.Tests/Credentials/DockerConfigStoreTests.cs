// Owns: tests of reading and writing docker's config.json: Hub aliases, preserved keys, 0600 atomic writes, bad files.
using System.Text;
using System.Text.Json;
using Gantry.Oci;
using Gantry.Registry.Client.Credentials;
using Gantry.TestKit;

namespace Gantry.Registry.Client.Tests.Credentials;

public sealed class DockerConfigStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Hub_aliases_share_the_v1_key_and_unknown_keys_survive()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("config.json"), """{"proxies":{"default":{"httpProxy":"x"}},"auths":{"index.docker.io":{"auth":"b2xkOm9sZA=="}}}""");
        var store = new DockerConfigStore(dir.FullPath);
        Assert.Equal(new Credential("old", "old"), await store.GetAsync("docker.io", Ct));

        await store.StoreAsync("docker.io", new Credential("isaias0328", "pw:with:colons"), Ct);
        var json = JsonDocument.Parse(File.ReadAllText(dir.Combine("config.json"))).RootElement;
        var auths = json.GetProperty("auths");
        Assert.False(auths.TryGetProperty("index.docker.io", out _));
        Assert.Equal("isaias0328:pw:with:colons", Encoding.UTF8.GetString(Convert.FromBase64String(auths.GetProperty("https://index.docker.io/v1/").GetProperty("auth").GetString()!)));
        Assert.True(json.TryGetProperty("proxies", out _));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.Combine("config.json")));
        Assert.Equal(new Credential("isaias0328", "pw:with:colons"), await store.GetAsync("index.docker.io", Ct));
        Assert.Empty(Directory.GetFiles(dir.FullPath, "*.tmp"));

        Assert.True(await store.EraseAsync("https://index.docker.io/v1/", Ct));
        Assert.Null(await store.GetAsync("docker.io", Ct));
        Assert.False(await store.EraseAsync("docker.io", Ct));
    }

    [Fact]
    public async Task Entries_match_by_hostname_and_identity_tokens_are_read()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("config.json"), """{"auths":{"https://reg.example.com:5000/v2/":{"auth":"dTpw"},"ghcr.io":{"identitytoken":"refresh-me"}}}""");
        var store = new DockerConfigStore(dir.FullPath);
        Assert.Equal(new Credential("u", "p"), await store.GetAsync("reg.example.com:5000", Ct));
        Assert.Equal("refresh-me", (await store.GetAsync("ghcr.io", Ct))!.IdentityToken);
        Assert.Null(await store.GetAsync("quay.io", Ct));
    }

    [Fact]
    public async Task An_identity_token_is_stored_as_docker_does_with_the_password_blanked()
    {
        using var dir = new TempDirectory();
        var store = new DockerConfigStore(dir.FullPath);
        await store.StoreAsync("reg.example.com", new Credential("frank", string.Empty, "refresh-1"), Ct);
        var entry = JsonDocument.Parse(File.ReadAllText(dir.Combine("config.json"))).RootElement.GetProperty("auths").GetProperty("reg.example.com");
        Assert.Equal("frank:", Encoding.UTF8.GetString(Convert.FromBase64String(entry.GetProperty("auth").GetString()!)));
        Assert.Equal("refresh-1", entry.GetProperty("identitytoken").GetString());
        Assert.Equal(new Credential("frank", string.Empty, "refresh-1"), await store.GetAsync("reg.example.com", Ct));

        // A token-only credential (from a helper, user "<token>") writes no "auth" at all.
        await store.StoreAsync("reg.example.com", Credential.FromIdentityToken("refresh-2"), Ct);
        entry = JsonDocument.Parse(File.ReadAllText(dir.Combine("config.json"))).RootElement.GetProperty("auths").GetProperty("reg.example.com");
        Assert.False(entry.TryGetProperty("auth", out _));
        Assert.Equal("refresh-2", (await store.GetAsync("reg.example.com", Ct))!.IdentityToken);
    }

    [Fact]
    public async Task Malformed_config_is_a_clear_error_and_is_not_overwritten()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("config.json"), "{not json");
        var store = new DockerConfigStore(dir.FullPath);
        var ex = await Assert.ThrowsAsync<GantryException>(async () => await store.GetAsync("docker.io", Ct));
        Assert.Contains("config.json is not valid JSON", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<GantryException>(() => store.StoreAsync("docker.io", new Credential("a", "b"), Ct));
        Assert.Equal("{not json", File.ReadAllText(dir.Combine("config.json")));
    }
}
