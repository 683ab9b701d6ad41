// Owns: the `gantry image` group: ls/list, tag, rm/remove, inspect, history, save, load, import, prune.
using System.CommandLine;

namespace Gantry.Cli.Commands;

internal static class ImageCommand
{
    /// <summary>
    /// The root's `image` group, created and added on first use. Other verbs join it from their own registration line,
    /// in any order: <c>ImageCommand.Get(root).Subcommands.Add(PullCommand.Create("pull"));</c>
    /// </summary>
    public static Command Get(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var existing = root.Subcommands.FirstOrDefault(c => c.Name == "image");
        if (existing is not null)
        {
            return existing;
        }

        var group = new Command("image", "Manage images");
        root.Subcommands.Add(group);
        return group;
    }

    /// <summary>Adds the image verbs this file owns to the root's `image` group.</summary>
    public static void Register(RootCommand root)
    {
        var command = Get(root);
        command.Subcommands.Add(ImagesCommand.Create("ls", "list"));
        command.Subcommands.Add(TagCommand.Create());
        command.Subcommands.Add(RmiCommand.Create("rm", "remove"));
        command.Subcommands.Add(ImageInspectCommand.Create());
        command.Subcommands.Add(HistoryCommand.Create());
        command.Subcommands.Add(SaveCommand.Create());
        command.Subcommands.Add(LoadCommand.Create());
        command.Subcommands.Add(ImportCommand.Create());
        command.Subcommands.Add(ImagePruneCommand.Create());
    }
}
