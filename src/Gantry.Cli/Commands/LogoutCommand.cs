// Owns: `gantry logout [SERVER]`: remove stored credentials (config.json auths entry and/or credential helper).
using System.CommandLine;
using Gantry.Registry.Client;
using Gantry.Registry.Client.Credentials;

namespace Gantry.Cli.Commands;

internal static class LogoutCommand
{
    public static Command Create()
    {
        var command = new Command("logout", "Log out from a registry (defaults to Docker Hub)");
        var server = new Argument<string?>("SERVER") { Arity = ArgumentArity.ZeroOrOne };
        command.Arguments.Add(server);
        command.SetAction(async (parseResult, ct) =>
        {
            var registry = parseResult.GetValue(server) is { Length: > 0 } s ? s : RegistryHosts.DockerHub;
            var key = RegistryHosts.CredentialKey(registry);
            var store = new DockerConfigStore();
            if (await store.EraseAsync(registry, ct).ConfigureAwait(false))
            {
                Console.Out.WriteLine($"Removing login credentials for {key}");
            }
            else
            {
                Console.Out.WriteLine($"Not logged in to {key}");
            }

            return 0;
        });
        return command;
    }
}
