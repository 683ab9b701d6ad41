// Owns: `gantry attach [--no-stdin] [--sig-proxy] [--detach-keys] CONTAINER` (also `gantry container attach`).
using System.CommandLine;
using Gantry.Cli.Containers;
using Gantry.Oci;
using Gantry.Runtime.Monitor;
using Gantry.Runtime.State;

namespace Gantry.Cli.Commands;

internal static class AttachCommand
{
    public static Command Create()
    {
        var command = new Command("attach", "Attach local standard input, output, and error streams to a running container");
        var noStdin = new Option<bool>("--no-stdin") { Description = "Do not attach STDIN" };
        var sigProxy = new Option<bool>("--sig-proxy") { Description = "Proxy all received signals to the process (non-TTY)", DefaultValueFactory = _ => true };
        var detachKeys = new Option<string?>("--detach-keys") { Description = "Override the key sequence for detaching a container (default ctrl-p,ctrl-q)" };
        var container = new Argument<string>("container");
        command.Options.Add(noStdin);
        command.Options.Add(sigProxy);
        command.Options.Add(detachKeys);
        command.Arguments.Add(container);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            var keys = AttachClient.ParseDetachKeys(pr.GetValue(detachKeys));
            var record = store.Get(pr.GetValue(container)!);
            if (!ContainerStore.IsRunning(record))
            {
                throw new GantryException($"You cannot attach to a stopped container, start it first (gantry start -a {record.Name})");
            }

            return await ContainerCli.AttachAsync(store, record, !pr.GetValue(noStdin), pr.GetValue(sigProxy), keys, ct).ConfigureAwait(false);
        });
        return command;
    }
}
