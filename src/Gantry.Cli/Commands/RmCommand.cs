// Owns: `gantry rm [-f] [-v] CONTAINER...`.
using System.CommandLine;
using Gantry.Cli.Containers;

namespace Gantry.Cli.Commands;

internal static class RmCommand
{
    public static Command Create(string name = "rm")
    {
        var command = new Command(name, "Remove one or more containers");
        var force = new Option<bool>("--force", "-f") { Description = "Force the removal of a running container (uses SIGKILL)" };
        var volumes = new Option<bool>("--volumes", "-v") { Description = "Remove anonymous volumes associated with the container" };
        var containers = new Argument<string[]>("container") { Arity = ArgumentArity.OneOrMore };
        command.Options.Add(force);
        command.Options.Add(volumes);
        command.Arguments.Add(containers);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            var failed = false;
            foreach (var c in pr.GetValue(containers)!)
            {
                try
                {
                    var record = store.Get(c);
                    await ContainerCli.RemoveAsync(store, record, pr.GetValue(force), ct).ConfigureAwait(false);
                    if (pr.GetValue(volumes))
                    {
                        var vs = ContainerCli.Volumes(pr);
                        foreach (var m in record.Spec.Mounts.Where(m => m.VolumeName is { Length: 64 }))
                        {
                            vs.Remove(m.VolumeName!);
                        }
                    }

                    Console.Out.WriteLine(c);
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
