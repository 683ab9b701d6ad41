// Owns: `gantry login [SERVER] [-u USER] [-p PASS | --password-stdin]`: verify against the registry, then store as docker does.
using System.CommandLine;
using System.Text;
using Gantry.Cli.Registry;
using Gantry.Oci;
using Gantry.Registry.Client;
using Gantry.Registry.Client.Credentials;

namespace Gantry.Cli.Commands;

internal static class LoginCommand
{
    public static Command Create()
    {
        var command = new Command("login", "Authenticate to a registry (defaults to Docker Hub)");
        var server = new Argument<string?>("SERVER") { Arity = ArgumentArity.ZeroOrOne };
        var user = new Option<string?>("--username", "-u") { Description = "Username" };
        var password = new Option<string?>("--password", "-p") { Description = "Password or personal access token" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Take the password from stdin" };
        var insecure = new Option<string[]>("--insecure-registry") { Description = "Allow plain HTTP / unverified TLS for this registry (repeatable)" };
        command.Arguments.Add(server);
        command.Options.Add(user);
        command.Options.Add(password);
        command.Options.Add(passwordStdin);
        command.Options.Add(insecure);
        command.SetAction(async (parseResult, ct) =>
        {
            var registry = parseResult.GetValue(server) is { Length: > 0 } s ? s : RegistryHosts.DockerHub;
            var username = parseResult.GetValue(user);
            var secret = parseResult.GetValue(password);
            var store = new DockerConfigStore();
            var settings = new RegistrySettings(extraInsecure: parseResult.GetValue(insecure), credentials: store);
            var host = RegistryHosts.IsDockerHub(registry) ? RegistryHosts.DockerHub : RegistryHosts.ToHostname(registry);
            if (parseResult.GetValue(passwordStdin))
            {
                if (secret is not null)
                {
                    throw new GantryException("--password and --password-stdin are mutually exclusive: use one of them");
                }

                if (string.IsNullOrEmpty(username))
                {
                    throw new GantryException("Must provide --username with --password-stdin");
                }

                secret = (await Console.In.ReadToEndAsync(ct).ConfigureAwait(false)).TrimEnd('\n', '\r');
            }
            else if (secret is not null)
            {
                await Console.Error.WriteLineAsync("WARNING! Using --password via the CLI is insecure. Use --password-stdin.").ConfigureAwait(false);
            }

            if (username is null && secret is null && await store.GetAsync(host, ct).ConfigureAwait(false) is { } existing)
            {
                Console.Out.WriteLine("Authenticating with existing credentials...");
                try
                {
                    await VerifyAsync(host, existing, settings, ct).ConfigureAwait(false);
                    Console.Out.WriteLine("Login Succeeded");
                    return 0;
                }
                catch (RegistryException ex) when (ex.IsUnauthorized)
                {
                    Console.Out.WriteLine($"Login did not succeed, error: {ex.Message}");
                }
            }

            if (string.IsNullOrEmpty(username))
            {
                username = Prompt("Username: ", echo: true);
            }

            if (string.IsNullOrEmpty(secret))
            {
                secret = Prompt("Password: ", echo: false);
            }

            if (string.IsNullOrEmpty(secret))
            {
                throw new GantryException("Password Required: pass -p PASSWORD or --password-stdin");
            }

            var credential = new Credential(username, secret);
            var refresh = await VerifyAsync(host, credential, settings, ct).ConfigureAwait(false);
            await store.StoreAsync(host, refresh is null ? credential : new Credential(username, string.Empty, refresh), ct).ConfigureAwait(false);
            Console.Out.WriteLine("Login Succeeded");
            return 0;
        });
        return command;
    }

    /// <summary>Checks the credential against the registry; returns the refresh token a token service handed out, if any.</summary>
    private static async Task<string?> VerifyAsync(string host, Credential credential, RegistrySettings settings, CancellationToken ct)
    {
        using var client = new RegistryClient(host, new StaticCredentialProvider(credential), settings.Options);
        await client.LoginAsync(ct).ConfigureAwait(false);
        return credential.IdentityToken is null ? client.RefreshToken : null;
    }

    private static string Prompt(string label, bool echo)
    {
        if (Console.IsInputRedirected)
        {
            throw new GantryException("Cannot perform an interactive login from a non TTY device: pass -u USER and --password-stdin");
        }

        Console.Out.Write(label);
        if (echo)
        {
            return Console.ReadLine()?.Trim() ?? string.Empty;
        }

        var sb = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (sb.Length > 0)
                {
                    sb.Length--;
                }

                continue;
            }

            sb.Append(key.KeyChar);
        }

        Console.Out.WriteLine();
        return sb.ToString();
    }
}
