// Owns: the registry config file formats (JSON, YAML-style, TOML-style), durations, and clear errors for bad settings.
using Gantry.Oci;
using Gantry.Registry.Server.Configuration;
using Gantry.TestKit;

namespace Gantry.Registry.Server.Tests.Configuration;

public sealed class RegistryConfigFileTests
{
    [Fact]
    public void Yaml_style_file_sets_every_kind_of_value_relative_to_the_file()
    {
        using var dir = new TempDirectory("gantry-config");
        var path = dir.WriteFile("registry.yml", """
            # Gantry registry
            addr: 0.0.0.0:5001
            root: data          # relative to this file
            delete-enabled: true
            read_only: no
            htpasswd: "auth/htpasswd"
            token_realm: auto
            gc_interval: 30m
            gc_grace: 2h
            upload_expiry: 90s
            max_manifest_bytes: 1048576
            proxy-remote: 'http://127.0.0.1:5002'
            """);
        var o = RegistryConfigFile.Load(path);
        Assert.Equal("0.0.0.0:5001", o.Address);
        Assert.Equal(dir.Combine("data"), o.Root);
        Assert.True(o.DeleteEnabled);
        Assert.False(o.ReadOnly);
        Assert.Equal(dir.Combine("auth", "htpasswd"), o.Htpasswd);
        Assert.Equal("auto", o.TokenRealm);
        Assert.Equal(TimeSpan.FromMinutes(30), o.GcInterval);
        Assert.Equal(TimeSpan.FromHours(2), o.GcGrace);
        Assert.Equal(TimeSpan.FromSeconds(90), o.UploadExpiry);
        Assert.Equal(1048576, o.MaxManifestBytes);
        Assert.Equal("http://127.0.0.1:5002", o.ProxyRemote);
    }

    [Fact]
    public void Toml_and_json_files_are_read_too()
    {
        using var dir = new TempDirectory("gantry-config");
        var toml = RegistryConfigFile.Load(dir.WriteFile("r.toml", "[registry]\naddr = \"127.0.0.1:0\"\nanonymous_pull = true\n"));
        Assert.Equal("127.0.0.1:0", toml.Address);
        Assert.True(toml.AnonymousPull);
        var json = RegistryConfigFile.Load(dir.WriteFile("r.json", "{\"addr\":\"127.0.0.1:7000\",\"delete_enabled\":true,\"max_manifest_bytes\":4096,\"root\":\"/srv/reg\"}"));
        Assert.Equal("127.0.0.1:7000", json.Address);
        Assert.True(json.DeleteEnabled);
        Assert.Equal(4096, json.MaxManifestBytes);
        Assert.Equal("/srv/reg", json.Root);
    }

    [Theory]
    [InlineData("colour: blue\n", "line 1: unknown setting 'colour'")]
    [InlineData("addr: 1\nread_only: maybe\n", "line 2: 'read_only' must be true or false")]
    [InlineData("gc_interval: soon\n", "must be a duration")]
    [InlineData("just words\n", "line 1: expected 'key: value'")]
    [InlineData("{\"addr\": [1]}", "must be a string, number or boolean")]
    [InlineData("{\"addr\": ", "is not valid JSON")]
    public void Bad_settings_name_the_file_line_and_fix(string text, string expected)
    {
        using var dir = new TempDirectory("gantry-config");
        var path = dir.WriteFile("bad.conf", text);
        var ex = Assert.ThrowsAny<GantryException>(() => RegistryConfigFile.Load(path));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("bad.conf", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:5000", "127.0.0.1", 5000)]
    [InlineData(":5000", "0.0.0.0", 5000)]
    [InlineData("localhost:0", "127.0.0.1", 0)]
    [InlineData("[::1]:8080", "::1", 8080)]
    public void Listen_addresses_parse(string address, string ip, int port)
    {
        var ep = RegistryServer.ParseAddress(address);
        Assert.Equal(ip, ep.Address.ToString());
        Assert.Equal(port, ep.Port);
    }

    [Fact]
    public void Bad_listen_address_is_a_clear_error() =>
        Assert.Contains("use HOST:PORT", Assert.Throws<GantryException>(() => RegistryServer.ParseAddress("nowhere")).Message, StringComparison.Ordinal);
}
