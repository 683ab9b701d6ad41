// Owns: `gantry system` and `gantry system df` (image usage from the store; containers/volumes/build cache rows).
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Gantry.Cli.Output;

namespace Gantry.Cli.Commands;

internal static class SystemCommand
{
    private static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["Type"] = "TYPE",
        ["TotalCount"] = "TOTAL",
        ["Active"] = "ACTIVE",
        ["Size"] = "SIZE",
        ["Reclaimable"] = "RECLAIMABLE",
    };

    /// <summary>
    /// The root's `system` group, created and added on first use. Other verbs join it from their own registration line:
    /// <c>SystemCommand.Get(root).Subcommands.Add(SystemPruneCommand.Create());</c>
    /// </summary>
    public static Command Get(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var existing = root.Subcommands.FirstOrDefault(c => c.Name == "system");
        if (existing is not null)
        {
            return existing;
        }

        var group = new Command("system", "Manage Gantry");
        root.Subcommands.Add(group);
        return group;
    }

    /// <summary>Adds `system df`.</summary>
    public static void Register(RootCommand root) => Get(root).Subcommands.Add(CreateDf());

    private static Command CreateDf()
    {
        var command = new Command("df", "Show disk usage");
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show detailed information on space usage" };
        command.Options.Add(format);
        command.Options.Add(verbose);
        command.SetAction(async (parseResult, ct) =>
        {
            var store = CliStore.Open(parseResult);
            var usage = await store.DiskUsageAsync(CliStore.InUse(parseResult), ct).ConfigureAwait(false);
            var rows = new List<JsonObject>
            {
                Row("Images", usage.Total, usage.Active, usage.Size, usage.Reclaimable),
                Row("Containers", 0, 0, 0, 0),
                Row("Local Volumes", 0, 0, 0, 0),
                Row("Build Cache", 0, 0, 0, 0),
            };
            const string Default = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";
            Console.Out.Write(OutputFormat.Render(parseResult.GetValue(format), Default, Headers, rows));
            return 0;
        });
        return command;
    }

    private static JsonObject Row(string type, int total, int active, long size, long reclaimable) => new()
    {
        ["Active"] = active.ToString(CultureInfo.InvariantCulture),
        ["Reclaimable"] = HumanUnits.Size(reclaimable) + (size > 0 ? $" ({reclaimable * 100 / size}%)" : string.Empty),
        ["Size"] = HumanUnits.Size(size),
        ["TotalCount"] = total.ToString(CultureInfo.InvariantCulture),
        ["Type"] = type,
    };
}
