// Owns: `gantry image prune [-a] [-f]`: remove dangling (or all unused) images, with docker's prompt and summary.
using System.CommandLine;
using Gantry.Cli.Containers;
using Gantry.Cli.Output;

namespace Gantry.Cli.Commands;

internal static class ImagePruneCommand
{
    public static Command Create()
    {
        var command = new Command("prune", "Remove unused images");
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused images, not just dangling ones" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var filter = new Option<string[]>("--filter") { Description = "Provide filter values (accepted for compatibility; not applied)" };
        command.Options.Add(all);
        command.Options.Add(force);
        command.Options.Add(filter);
        command.SetAction(async (parseResult, ct) =>
        {
            var everything = parseResult.GetValue(all);
            if (!parseResult.GetValue(force))
            {
                Console.Out.Write(everything
                    ? "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] "
                    : "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ");
                var answer = Console.In.ReadLine()?.Trim().ToLowerInvariant();
                if (answer is not ("y" or "yes"))
                {
                    return 0;
                }
            }

            var store = CliStore.Open(parseResult);
            var result = await store.PruneAsync(everything, CliStore.InUse(parseResult), ct).ConfigureAwait(false);
            await ImageRootfs.PruneLayersAsync(CliStore.Root(parseResult), store, ct).ConfigureAwait(false);
            if (result.Removed.Count > 0)
            {
                Console.Out.WriteLine("Deleted Images:");
                foreach (var removed in result.Removed)
                {
                    foreach (var u in removed.Untagged)
                    {
                        Console.Out.WriteLine($"untagged: {u}");
                    }

                    foreach (var d in removed.Deleted)
                    {
                        Console.Out.WriteLine($"deleted: {d}");
                    }
                }

                Console.Out.WriteLine();
            }

            Console.Out.WriteLine($"Total reclaimed space: {HumanUnits.Size(result.ReclaimedBytes)}");
            return 0;
        });
        return command;
    }
}
