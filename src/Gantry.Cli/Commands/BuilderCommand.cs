// Owns: `gantry builder prune`: remove the build cache (step index, unpacked layer dirs, context hash cache, cache mounts).
using System.CommandLine;
using Gantry.Build;
using Gantry.Cli.Containers;

namespace Gantry.Cli.Commands;

internal static class BuilderCommand
{
    public static Command Create()
    {
        var group = new Command("builder", "Manage builds");
        var prune = new Command("prune", "Remove build cache");
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused build cache (the same as without it: every entry)" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        prune.Options.Add(all);
        prune.Options.Add(force);
        prune.SetAction(async (parseResult, ct) =>
        {
            var result = await BuildCache.PruneAsync(CliStore.Root(parseResult), ct).ConfigureAwait(false);
            // The builder's unpacked layers live in the shared snapshot store: free those no image or container uses.
            await ImageRootfs.PruneLayersAsync(CliStore.Root(parseResult), CliStore.Open(parseResult), ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Deleted build cache objects: {result.Entries}");
            Console.Out.WriteLine($"Total reclaimed space: {Gantry.Cli.Output.HumanUnits.Size(result.Bytes)}");
            return 0;
        });
        group.Subcommands.Add(prune);
        return group;
    }
}
