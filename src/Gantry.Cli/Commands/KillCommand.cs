// Owns: `gantry kill [-s SIG] CONTAINER...`.
using System.CommandLine;
using Gantry.Cli.Containers;
using Gantry.Runtime;
using Gantry.Runtime.State;

namespace Gantry.Cli.Commands;

internal static class KillCommand
{
    public static Command Create()
    {
        var command = new Command("kill", "Kill one or more running containers");
        var signal = new Option<string>("--signal", "-s") { Description = "Signal to send to the container", DefaultValueFactory = _ => "KILL" };
        var containers = new Argument<string[]>("container") { Arity = ArgumentArity.OneOrMore };
        command.Options.Add(signal);
        command.Arguments.Add(containers);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            var sig = Signals.Parse(pr.GetValue(signal)!);
            var failed = false;
            foreach (var name in pr.GetValue(containers)!)
            {
                try
                {
                    var record = store.Get(name);
                    if (!ContainerStore.IsRunning(record))
                    {
                        throw new Gantry.Oci.GantryException($"cannot kill container: {name}: container {record.Id} is not running");
                    }

                    if (sig is 9 or 15 or 2 || sig == Signals.Parse(record.StopSignal))
                    {
                        // docker's rule: a kill by the user ends the restart policy (HasBeenManuallyStopped).
                        store.Update(record.Id, r => r.State.ManuallyStopped = true);
                    }

                    await ContainerCli.Runtime(record.Runtime).KillAsync(record.Id, sig, ct).ConfigureAwait(false);
                    if (sig == 9)
                    {
                        await ContainerCli.WaitStoppedAsync(store, record.Id, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
                    }

                    Console.Out.WriteLine(name);
                }
                catch (Gantry.Oci.GantryException ex)
                {
                    Console.Error.WriteLine($"Error response from daemon: {ex.Message}");
                    failed = true;
                }
            }

            return failed ? 1 : 0;
        });
        return command;
    }
}
