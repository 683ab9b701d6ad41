// Owns: `gantry create`: create a container from an image without starting it; prints its ID.
using System.CommandLine;
using Gantry.Cli.Containers;

namespace Gantry.Cli.Commands;

internal static class CreateCommand
{
    public static Command Create()
    {
        var command = new Command("create", "Create a new container");
        var options = new RunOptions();
        options.AddTo(command);
        command.SetAction(async (pr, ct) =>
        {
            var record = await options.CreateContainerAsync(pr, ct).ConfigureAwait(false);
            Console.Out.WriteLine(record.Id);
            return 0;
        });
        return command;
    }
}
