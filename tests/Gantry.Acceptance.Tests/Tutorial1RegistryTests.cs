// Owns: tutorial 1's "Subir la imagen" part with gantry: login to an htpasswd registry, push :castor, pull into an empty store, run, logout.
using System.Text.Json;
using Gantry.TestKit;

namespace Gantry.Acceptance.Tests;

[Collection(TutorialEnvironment.Collection)]
public sealed class Tutorial1RegistryTests(TutorialEnvironment env)
{
    private const string User = "isaias0328";
    private const string Password = "pantera-castor-2024";

    [Fact]
    public async Task Login_push_castor_pull_into_an_empty_store_run_prints_ticks_then_logout()
    {
        env.Require();
        TutorialNpm.Require();
        var htpasswdTool = Requires.Command("htpasswd", "apache2-utils");
        using var work = new TempDirectory("tutorial1-push");
        var ct = TestContext.Current.CancellationToken;

        var hp = await ProcessRunner.RunAsync(htpasswdTool, ["-Bbn", User, Password], cancellationToken: ct);
        Assert.True(hp.ExitCode == 0, $"htpasswd -B failed: {hp}");
        var htpasswd = work.WriteFile("htpasswd", hp.StdOut);
        await using var registry = await TutorialRegistry.StartAsync(Path.Combine(env.NewStore("push-registry"), "registry"), htpasswd, ct);
        var dockerConfig = work.Combine("docker-config");
        var cli = env.Cli(dockerConfig: dockerConfig);
        await CronTicker.EnsureBuiltAsync(env, cli);

        var remote = $"{registry.Host}/{User}/cron-ticker:castor";
        await cli.OkAsync(null, "image", "tag", "cron-ticker", remote);

        // Without credentials the protected registry refuses the push.
        var anonymous = await cli.TryAsync(null, "push", remote);
        Assert.True(anonymous.ExitCode != 0, $"a push without login must fail against an htpasswd registry: {anonymous}");

        // docker login (here with the server, as for any registry other than Docker Hub).
        var login = await cli.RunAsync(["login", registry.Host, "--username", User, "--password-stdin"], stdin: Password + "\n", cancellationToken: ct);
        Assert.True(login.ExitCode == 0, $"gantry login failed: {login}\nregistry log:\n{registry.Log}");
        Assert.Contains("Login Succeeded", login.StdOut, StringComparison.Ordinal);
        Assert.True(AuthsContains(dockerConfig, registry.Host), $"gantry login must store the credentials in $DOCKER_CONFIG/config.json:\n{ReadConfig(dockerConfig)}");

        var wrong = await cli.RunAsync(["login", registry.Host, "--username", User, "--password-stdin"], stdin: "wrong\n", cancellationToken: ct);
        Assert.NotEqual(0, wrong.ExitCode);

        // docker push isaias0328/cron-ticker:castor (to this registry).
        var push = await cli.TryAsync(null, "push", remote);
        Assert.True(push.ExitCode == 0, $"gantry push {remote} failed: {push}\nregistry log:\n{registry.Log}");
        var pushed = await cli.InspectAsync(remote);

        // Pull it back into an empty store and run it: the ticks appear in its logs.
        var emptyStore = env.NewStore("tutorial1-pull");
        var fresh = env.Cli(emptyStore, dockerConfig);
        await fresh.OkAsync(null, "pull", remote);
        Assert.Equal(pushed.Id, (await fresh.InspectAsync(remote)).Id);
        var name = "cron-ticker-" + Guid.NewGuid().ToString("N")[..8];
        var run = await fresh.OkAsync(null, "run", "-d", "--name", name, remote);
        Assert.Matches("^[0-9a-f]{64}$", run.StdOut.Trim());
        try
        {
            var logs = await TutorialSteps.PollAsync(async () =>
            {
                var r = await fresh.TryAsync(null, "logs", name);
                return r.Output.Split('\n').Count(l => l.Contains(TutorialApps.TickLine, StringComparison.Ordinal)) >= 2 ? r.Output : null;
            }, TimeSpan.FromSeconds(90));
            Assert.True(logs is not null, $"the container must print at least two ticks; gantry logs says:\n{(await fresh.TryAsync(null, "logs", name)).Output}");
            Assert.Contains("Inicio de cron-ticker", logs, StringComparison.Ordinal);
        }
        finally
        {
            await fresh.TryAsync(null, "stop", name);
            await fresh.TryAsync(null, "rm", "-f", name);
        }

        var ps = await fresh.OkAsync(null, "ps", "-a");
        Assert.DoesNotContain(name, ps.StdOut, StringComparison.Ordinal);
        Assert.Empty(TutorialSteps.MountsUnder(emptyStore));

        // docker logout: the credentials are gone and the registry refuses us again.
        var logout = await cli.OkAsync(null, "logout", registry.Host);
        Assert.Contains("Removing login credentials", logout.StdOut, StringComparison.Ordinal);
        Assert.False(AuthsContains(dockerConfig, registry.Host), $"gantry logout must remove the credentials:\n{ReadConfig(dockerConfig)}");
        var denied = await env.Cli(env.NewStore("tutorial1-after-logout"), dockerConfig).TryAsync(null, "pull", remote);
        Assert.True(denied.ExitCode != 0, $"after logout a pull from the protected registry must fail: {denied}");
    }

    private static string ReadConfig(string dockerConfig)
    {
        var path = Path.Combine(dockerConfig, "config.json");
        return File.Exists(path) ? File.ReadAllText(path) : "(no config.json)";
    }

    private static bool AuthsContains(string dockerConfig, string host)
    {
        var path = Path.Combine(dockerConfig, "config.json");
        if (!File.Exists(path))
        {
            return false;
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.TryGetProperty("auths", out var auths) && auths.TryGetProperty(host, out _);
    }
}
