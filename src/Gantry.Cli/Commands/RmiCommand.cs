// Owns: `gantry rmi` / `gantry image rm|remove`: untag, delete on the last name, print Untagged:/Deleted: like docker.
using System.CommandLine;
using Gantry.Cli.Containers;
using Gantry.Oci;

namespace Gantry.Cli.Commands;

internal static class RmiCommand
{
    public static Command Create(string name = "rmi", params string[] aliases)
    {
        var command = new Command(name, "Remove one or more images");
        foreach (var alias in aliases)
        {
            command.Aliases.Add(alias);
        }

        var force = new Option<bool>("--force", "-f") { Description = "Force removal of the image" };
        var noPrune = new Option<bool>("--no-prune") { Description = "Do not delete untagged parents" };
        var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
        command.Options.Add(force);
        command.Options.Add(noPrune);
        command.Arguments.Add(images);
        command.SetAction(async (parseResult, ct) =>
        {
            var store = CliStore.Open(parseResult);
            var inUse = CliStore.InUse(parseResult);
            var exit = 0;
            var deletedAny = false;
            foreach (var image in parseResult.GetValue(images) ?? [])
            {
                try
                {
                    var result = await store.RemoveAsync(image, parseResult.GetValue(force), inUse, ct).ConfigureAwait(false);
                    foreach (var untagged in result.Untagged)
                    {
                        Console.Out.WriteLine($"Untagged: {untagged}");
                    }

                    foreach (var deleted in result.Deleted)
                    {
                        Console.Out.WriteLine($"Deleted: {deleted}");
                    }

                    deletedAny |= result.Deleted.Count > 0;
                }
                catch (GantryException ex)
                {
                    Console.Error.WriteLine($"Error: {ex.Message}");
                    exit = 1;
                }
            }

            if (deletedAny)
            {
                await ImageRootfs.PruneLayersAsync(CliStore.Root(parseResult), store, ct).ConfigureAwait(false);
            }

            return exit;
        });
        return command;
    }
}
