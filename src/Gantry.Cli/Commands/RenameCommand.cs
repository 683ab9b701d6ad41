// Owns: `gantry rename CONTAINER NEW_NAME`.
using System.CommandLine;
using Gantry.Cli.Containers;

namespace Gantry.Cli.Commands;

internal static class RenameCommand
{
    public static Command Create()
    {
        var command = new Command("rename", "Rename a container");
        var container = new Argument<string>("container");
        var newName = new Argument<string>("new-name");
        command.Arguments.Add(container);
        command.Arguments.Add(newName);
        command.SetAction(pr =>
        {
            ContainerCli.Store(pr).Rename(pr.GetValue(container)!, pr.GetValue(newName)!);
            return 0;
        });
        return command;
    }
}
