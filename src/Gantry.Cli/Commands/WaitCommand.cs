// Owns: `gantry wait CONTAINER...`: block until each stops, print its exit code.
using System.CommandLine;
using Gantry.Cli.Containers;

namespace Gantry.Cli.Commands;

internal static class WaitCommand
{
    public static Command Create()
    {
        var command = new Command("wait", "Block until one or more containers stop, then print their exit codes");
        var containers = new Argument<string[]>("container") { Arity = ArgumentArity.OneOrMore };
        command.Arguments.Add(containers);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            foreach (var name in pr.GetValue(containers)!)
            {
                var record = store.Get(name);
                await ContainerCli.WaitStoppedAsync(store, record.Id, TimeSpan.FromDays(3650), ct).ConfigureAwait(false);
                var after = store.TryGet(record.Id);
                Console.Out.WriteLine(after?.State.ExitCode ?? 0);
            }

            return 0;
        });
        return command;
    }
}
