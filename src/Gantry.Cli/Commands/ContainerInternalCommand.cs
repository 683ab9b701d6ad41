// Owns: the hidden `gantry internal-monitor ID` mode: the detached per-container monitor process (like conmon).
using System.CommandLine;
using Gantry.Cli.Containers;
using Gantry.Runtime.Monitor;

namespace Gantry.Cli.Commands;

internal static class ContainerInternalCommand
{
    public static Command Create()
    {
        var command = new Command("internal-monitor", "Internal: run a container's monitor (used by run -d and start)") { Hidden = true };
        var id = new Argument<string>("id");
        command.Arguments.Add(id);
        command.SetAction(async (pr, _) =>
        {
            ContainerMonitor.DetachFromTerminal();
            var store = ContainerCli.Store(pr);
            var record = store.Get(pr.GetValue(id)!);
            var monitor = ContainerCli.Monitor(store, ContainerCli.Runtime(record.Runtime));
            try
            {
                return await monitor.RunAsync(record.Id, null, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Gantry.Oci.GantryException)
            {
                return 125;
            }
        });
        return command;
    }
}
