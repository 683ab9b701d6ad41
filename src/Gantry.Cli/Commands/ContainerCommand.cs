// Owns: the `gantry container …` group (ls/ps/list, prune and aliases of every container verb).
using System.CommandLine;
using Gantry.Cli.Containers;
using Gantry.Runtime.State;

namespace Gantry.Cli.Commands;

internal static class ContainerCommand
{
    public static Command Create()
    {
        var command = new Command("container", "Manage containers");
        var ls = PsCommand.Create("ls");
        ls.Aliases.Add("ps");
        ls.Aliases.Add("list");
        command.Subcommands.Add(ls);
        command.Subcommands.Add(AttachCommand.Create());
        command.Subcommands.Add(RunCommand.Create());
        command.Subcommands.Add(CreateCommand.Create());
        command.Subcommands.Add(StartCommand.Create());
        command.Subcommands.Add(StopCommand.Create());
        command.Subcommands.Add(KillCommand.Create());
        command.Subcommands.Add(RestartCommand.Create());
        command.Subcommands.Add(WaitCommand.Create());
        command.Subcommands.Add(RmCommand.Create());
        command.Subcommands.Add(LogsCommand.Create());
        command.Subcommands.Add(ExecCommand.Create());
        command.Subcommands.Add(InspectCommand.Create("inspect", containersOnly: true));
        command.Subcommands.Add(RenameCommand.Create());
        command.Subcommands.Add(PortCommand.Create());
        command.Subcommands.Add(TopCommand.Create());
        command.Subcommands.Add(CpCommand.Create());
        command.Subcommands.Add(StatsCommand.Create());
        command.Subcommands.Add(Prune());
        return command;
    }

    private static Command Prune()
    {
        var command = new Command("prune", "Remove all stopped containers");
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        command.Options.Add(force);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            Console.Out.WriteLine("Deleted Containers:");
            foreach (var c in store.List().Where(c => !ContainerStore.IsRunning(c)))
            {
                await ContainerCli.RemoveAsync(store, c, force: false, ct).ConfigureAwait(false);
                Console.Out.WriteLine(c.Id);
            }

            Console.Out.WriteLine();
            Console.Out.WriteLine("Total reclaimed space: 0B");
            return 0;
        });
        return command;
    }
}
