// Owns: `gantry start [-a] [-i] CONTAINER...`.
using System.CommandLine;
using Gantry.Cli.Containers;
using Gantry.Runtime.Monitor;
using Gantry.Runtime.State;

namespace Gantry.Cli.Commands;

internal static class StartCommand
{
    public static Command Create()
    {
        var command = new Command("start", "Start one or more stopped containers");
        var attach = new Option<bool>("--attach", "-a") { Description = "Attach STDOUT/STDERR and forward signals" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Attach container's STDIN" };
        var detachKeys = new Option<string?>("--detach-keys") { Description = "Override the key sequence for detaching a container (default ctrl-p,ctrl-q)" };
        var containers = new Argument<string[]>("container") { Arity = ArgumentArity.OneOrMore };
        command.Options.Add(attach);
        command.Options.Add(interactive);
        command.Options.Add(detachKeys);
        command.Arguments.Add(containers);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            var failed = false;
            foreach (var name in pr.GetValue(containers)!)
            {
                try
                {
                    var record = store.Get(name);
                    var attaching = pr.GetValue(attach) || pr.GetValue(interactive);
                    if (ContainerStore.IsRunning(record))
                    {
                        if (attaching)
                        {
                            return await ContainerCli.AttachAsync(store, record, pr.GetValue(interactive), sigProxy: true, AttachClient.ParseDetachKeys(pr.GetValue(detachKeys)), ct).ConfigureAwait(false);
                        }

                        Console.Out.WriteLine(name);
                        continue;
                    }

                    if (attaching)
                    {
                        // The same path as `gantry attach`: a detached monitor that waits for us, so no output is missed.
                        return await ContainerCli.StartAndAttachAsync(store, record, pr.GetValue(interactive), sigProxy: true, pr.GetValue(detachKeys), ct).ConfigureAwait(false);
                    }

                    await ContainerCli.StartDetachedAsync(store, record, ct).ConfigureAwait(false);
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
