// Owns: `gantry stop [-t N] [-s SIG] CONTAINER...`: the stop signal, then SIGKILL after the timeout.
using System.CommandLine;
using Gantry.Cli.Containers;

namespace Gantry.Cli.Commands;

internal static class StopCommand
{
    public static Command Create()
    {
        var command = new Command("stop", "Stop one or more running containers");
        var time = new Option<int?>("--time", "-t", "--timeout") { Description = "Seconds to wait before killing the container" };
        var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container" };
        var containers = new Argument<string[]>("container") { Arity = ArgumentArity.OneOrMore };
        command.Options.Add(time);
        command.Options.Add(signal);
        command.Arguments.Add(containers);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            var failed = false;
            foreach (var name in pr.GetValue(containers)!)
            {
                try
                {
                    await ContainerCli.StopAsync(store, store.Get(name), pr.GetValue(time), pr.GetValue(signal), ct).ConfigureAwait(false);
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
