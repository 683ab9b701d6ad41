// Owns: end-to-end tests of `gantry pull/push/login/logout` against real docker-registry instances, with skopeo cross-checks.
using System.Text;
using System.Text.Json;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Registry;

public sealed class RegistryCliTests
{
    private static GantryCli NewCli(TempDirectory dir, string name = "root")
    {
        var cli = new GantryCli(dir.Combine(name));
        cli.Environment["DOCKER_CONFIG"] = dir.Combine("docker-config");
        cli.Environment["GANTRY_CONFIG"] = dir.Combine("no-config.toml");
        cli.Environment["GANTRY_REGISTRY_MIRRORS"] = null;
        return cli;
    }

    private static string ImageId(GantryCli cli, string name) => cli.Ok("image", "inspect", "--format", "{{.Id}}", name).Trim();

    private static void ImportBusybox(GantryCli cli, string name)
    {
        var rootfs = BusyboxRootfs.Get();
        cli.Ok("import", rootfs.Tar, name);
    }

    [Fact]
    public void Push_then_pull_into_an_empty_store_gives_the_same_image_id_with_docker_lines()
    {
        using var registry = DistributionRegistry.StartPlain();
        using var dir = new TempDirectory();
        var cli = NewCli(dir);
        ImportBusybox(cli, "busybox:test");
        var name = $"{registry.Host}/isaias0328/cron-ticker:castor";
        cli.Ok("tag", "busybox:test", name);
        var push = cli.Ok("push", name);
        Assert.Contains($"The push refers to repository [{registry.Host}/isaias0328/cron-ticker]", push, StringComparison.Ordinal);
        Assert.Contains(": Pushed", push, StringComparison.Ordinal);
        Assert.Matches(@"castor: digest: sha256:[0-9a-f]{64} size: \d+", push);
        var again = cli.Ok("push", name);
        Assert.Contains(": Layer already exists", again, StringComparison.Ordinal);

        var other = NewCli(dir, "other-root");
        var pull = other.Ok("pull", name);
        Assert.Contains("castor: Pulling from isaias0328/cron-ticker", pull, StringComparison.Ordinal);
        Assert.Contains(": Pull complete", pull, StringComparison.Ordinal);
        Assert.Matches(@"Digest: sha256:[0-9a-f]{64}", pull);
        Assert.Contains($"Status: Downloaded newer image for {name}", pull, StringComparison.Ordinal);
        Assert.EndsWith(name + "\n", pull.Replace("\r", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(ImageId(cli, "busybox:test"), ImageId(other, name));

        var repull = other.Ok("pull", name);
        Assert.Contains("Status: Image is up to date for", repull, StringComparison.Ordinal);
        Assert.Equal(name + "\n", other.Ok("pull", "-q", name).Replace("\r", string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public void Skopeo_agrees_on_what_gantry_pushed_and_gantry_pulls_what_skopeo_copied()
    {
        var skopeo = Requires.Command("skopeo");
        using var registry = DistributionRegistry.StartPlain();
        using var dir = new TempDirectory();
        var cli = NewCli(dir);
        ImportBusybox(cli, "busybox:test");
        var name = $"{registry.Host}/cross/check:v1";
        cli.Ok("tag", "busybox:test", name);
        var push = cli.Ok("push", name);
        var digest = System.Text.RegularExpressions.Regex.Match(push, @"digest: (sha256:[0-9a-f]{64})").Groups[1].Value;

        var inspect = ProcessRunner.Run(skopeo, ["inspect", "--tls-verify=false", $"docker://{name}"]);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Equal(digest, JsonDocument.Parse(inspect.StdOut).RootElement.GetProperty("Digest").GetString());

        var copy = ProcessRunner.Run(skopeo, ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", $"docker://{name}", $"docker://{registry.Host}/cross/copied:v2"]);
        Assert.True(copy.ExitCode == 0, copy.ToString());
        var other = NewCli(dir, "other-root");
        other.Ok("pull", $"{registry.Host}/cross/copied:v2");
        Assert.Equal(ImageId(cli, "busybox:test"), ImageId(other, $"{registry.Host}/cross/copied:v2"));
    }

    [Fact]
    public void Missing_tag_fails_clearly_and_names_nothing()
    {
        using var registry = DistributionRegistry.StartPlain();
        using var dir = new TempDirectory();
        var cli = NewCli(dir);
        var result = cli.Run("pull", $"{registry.Host}/no/such:tag");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Error: ", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("not found", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("no/such", cli.Ok("images"), StringComparison.Ordinal);
    }

    [Fact]
    public void Login_verifies_then_writes_config_json_0600_and_logout_removes_it()
    {
        using var registry = DistributionRegistry.StartHtpasswd("isaias", "castor-pw");
        using var dir = new TempDirectory();
        var cli = NewCli(dir);
        var configPath = dir.Combine("docker-config", "config.json");

        var wrong = cli.Run(["login", registry.Host, "-u", "isaias", "--password-stdin"], null, "nope\n");
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("incorrect username or password", wrong.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(configPath));

        var ok = cli.Run(["login", registry.Host, "-u", "isaias", "--password-stdin"], null, "castor-pw\n");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("Login Succeeded", ok.StdOut, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(configPath));
        var auth = JsonDocument.Parse(File.ReadAllText(configPath)).RootElement.GetProperty("auths").GetProperty(registry.Host).GetProperty("auth").GetString();
        Assert.Equal("isaias:castor-pw", Encoding.UTF8.GetString(Convert.FromBase64String(auth!)));

        // The stored credentials are used by push and pull.
        ImportBusybox(cli, "busybox:test");
        var name = $"{registry.Host}/isaias0328/cron-ticker:castor";
        cli.Ok("tag", "busybox:test", name);
        cli.Ok("push", name);

        var logout = cli.Ok("logout", registry.Host);
        Assert.Contains($"Removing login credentials for {registry.Host}", logout, StringComparison.Ordinal);
        Assert.False(JsonDocument.Parse(File.ReadAllText(configPath)).RootElement.GetProperty("auths").TryGetProperty(registry.Host, out _));
        var denied = NewCli(dir, "other-root").Run("pull", name);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("gantry login", denied.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Credential_helper_named_by_credsStore_stores_gets_and_erases()
    {
        using var registry = DistributionRegistry.StartHtpasswd("helperuser", "helper-pw");
        using var dir = new TempDirectory();
        var bin = dir.Combine("bin");
        Directory.CreateDirectory(bin);
        var vault = dir.Combine("vault");
        Directory.CreateDirectory(vault);
        var script = dir.WriteFile("bin/docker-credential-fake", $$"""
            #!/bin/sh
            # A fake docker credential helper: one file per server URL under {{vault}}.
            set -e
            read -r input || true
            key=$(printf '%s' "$input" | sed 's/.*"ServerURL":"\([^"]*\)".*/\1/')
            case "$1" in
              store) printf '%s' "$input" > "{{vault}}/$(printf '%s' "$key" | tr '/:' '__')" ;;
              get) f="{{vault}}/$(printf '%s' "$input" | tr '/:' '__')"; if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
              erase) rm -f "{{vault}}/$(printf '%s' "$input" | tr '/:' '__')" ;;
              list) echo '{}' ;;
            esac
            """);
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        var cli = NewCli(dir);
        cli.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        Directory.CreateDirectory(dir.Combine("docker-config"));
        File.WriteAllText(dir.Combine("docker-config", "config.json"), """{"credsStore":"fake","currentContext":"default"}""");

        var login = cli.Run(["login", registry.Host, "-u", "helperuser", "--password-stdin"], null, "helper-pw");
        Assert.True(login.ExitCode == 0, login.ToString());
        var stored = File.ReadAllText(Path.Combine(vault, registry.Host.Replace(':', '_')));
        Assert.Contains("\"Secret\":\"helper-pw\"", stored, StringComparison.Ordinal);
        var config = File.ReadAllText(dir.Combine("docker-config", "config.json"));
        Assert.DoesNotContain("helper-pw", config, StringComparison.Ordinal);
        Assert.Contains("currentContext", config, StringComparison.Ordinal);

        ImportBusybox(cli, "busybox:test");
        cli.Ok("tag", "busybox:test", $"{registry.Host}/helper/app:v1");
        cli.Ok("push", $"{registry.Host}/helper/app:v1");

        Assert.Contains("Removing login credentials", cli.Ok("logout", registry.Host), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(vault, registry.Host.Replace(':', '_'))));
    }

    [Fact]
    public void Docker_io_pulls_go_to_the_configured_mirror()
    {
        using var mirror = DistributionRegistry.StartPlain();
        using var dir = new TempDirectory();
        var cli = NewCli(dir);
        ImportBusybox(cli, "busybox:test");
        cli.Ok("tag", "busybox:test", $"{mirror.Host}/library/busybox:latest");
        cli.Ok("push", $"{mirror.Host}/library/busybox:latest");

        var fromEnv = NewCli(dir, "env-root");
        fromEnv.Environment["GANTRY_REGISTRY_MIRRORS"] = $"http://{mirror.Host}";
        var pull = fromEnv.Ok("pull", "busybox");
        Assert.Contains("latest: Pulling from library/busybox", pull, StringComparison.Ordinal);
        Assert.Contains("Status: Downloaded newer image for busybox:latest", pull, StringComparison.Ordinal);
        Assert.Contains("docker.io/library/busybox:latest", pull, StringComparison.Ordinal);
        Assert.Equal(ImageId(cli, "busybox:test"), ImageId(fromEnv, "busybox"));

        var fromFile = NewCli(dir, "file-root");
        File.WriteAllText(dir.Combine("no-config.toml"), $"""
            # gantry config
            [registry]
            mirrors = [
              "http://{mirror.Host}",  # the team mirror
            ]
            """);
        fromFile.Ok("pull", "-q", "busybox:latest");
        Assert.Equal(ImageId(cli, "busybox:test"), ImageId(fromFile, "busybox:latest"));
    }
}
