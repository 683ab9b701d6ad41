// Owns: `gantry login` against a Bearer registry whose token service hands out refresh tokens: stored as docker's identitytoken, used alone later.
using System.Text;
using System.Text.Json;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Registry;

public sealed class IdentityTokenCliTests
{
    private static GantryCli NewCli(TempDirectory dir, string name = "root")
    {
        var cli = new GantryCli(dir.Combine(name));
        cli.Environment["DOCKER_CONFIG"] = dir.Combine("docker-config");
        cli.Environment["GANTRY_CONFIG"] = dir.Combine("no-config.toml");
        cli.Environment["GANTRY_REGISTRY_MIRRORS"] = null;
        return cli;
    }

    [Fact]
    public void Login_stores_the_identity_token_not_the_password_and_pull_authenticates_with_it_alone()
    {
        using var tokens = new TokenServer();
        tokens.Users["frank"] = "frank-secret-pw";
        using var registry = DistributionRegistry.StartToken(tokens);
        using var dir = new TempDirectory();
        var cli = NewCli(dir);

        var login = cli.Run(["login", registry.Host, "-u", "frank", "--password-stdin"], null, "frank-secret-pw\n");
        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Contains("Login Succeeded", login.StdOut, StringComparison.Ordinal);

        // As docker writes it: "auth" is base64("frank:") (the password blanked) and "identitytoken" the refresh token.
        var configText = File.ReadAllText(dir.Combine("docker-config", "config.json"));
        Assert.DoesNotContain("frank-secret-pw", configText, StringComparison.Ordinal);
        var entry = JsonDocument.Parse(configText).RootElement.GetProperty("auths").GetProperty(registry.Host);
        Assert.Equal("frank:", Encoding.UTF8.GetString(Convert.FromBase64String(entry.GetProperty("auth").GetString()!)));
        Assert.Contains(entry.GetProperty("identitytoken").GetString(), tokens.IssuedRefreshTokens);

        cli.Ok("import", BusyboxRootfs.Get().Tar, "busybox:test");
        var name = $"{registry.Host}/frank/app:v1";
        cli.Ok("tag", "busybox:test", name);
        var before = tokens.Grants.Count;
        cli.Ok("push", name);

        // The password no longer works anywhere: a pull succeeds with the refresh token alone.
        tokens.Users.Clear();
        var other = NewCli(dir, "other-root");
        other.Ok("pull", name);
        var used = tokens.Grants.Skip(before).ToList();
        Assert.NotEmpty(used);
        Assert.All(used, g => Assert.Equal("refresh_token", g));

        // A revoked refresh token is a clear unauthorized error.
        tokens.RevokeRefreshTokens();
        var denied = NewCli(dir, "third-root").Run("pull", name);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("unauthorized", denied.StdErr, StringComparison.Ordinal);
    }
}
