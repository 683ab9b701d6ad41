// Owns: `gantry restart [-t N] CONTAINER...`.
using System.CommandLine;
using Gantry.Cli.Containers;

namespace Gantry.Cli.Commands;

internal static class RestartCommand
{
    public static Command Create()
    {
        var command = new Command("restart", "Restart one or more containers");
        var time = new Option<int?>("--time", "-t", "--timeout") { Description = "Seconds to wait before killing the container" };
        var containers = new Argument<string[]>("container") { Arity = ArgumentArity.OneOrMore };
        command.Options.Add(time);
        command.Arguments.Add(containers);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            foreach (var name in pr.GetValue(containers)!)
            {
                var record = store.Get(name);
                await ContainerCli.StopAsync(store, record, pr.GetValue(time), null, ct).ConfigureAwait(false);
                store.Update(record.Id, r => r.RestartCount++);
                await ContainerCli.StartDetachedAsync(store, store.Get(record.Id), ct).ConfigureAwait(false);
                Console.Out.WriteLine(name);
            }

            return 0;
        });
        return command;
    }
}
