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
