// Owns: `gantry history` / `gantry image history`: IMAGE CREATED CREATED BY SIZE COMMENT, newest first.
using System.CommandLine;
using System.Text.Json.Nodes;
using Gantry.Cli.Output;
using Gantry.Content;
using Gantry.Oci;

namespace Gantry.Cli.Commands;

internal static class HistoryCommand
{
    private static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["ID"] = "IMAGE",
        ["CreatedSince"] = "CREATED",
        ["CreatedAt"] = "CREATED AT",
        ["CreatedBy"] = "CREATED BY",
        ["Size"] = "SIZE",
        ["Comment"] = "COMMENT",
    };

    public static Command Create()
    {
        var command = new Command("history", "Show the history of an image");
        var human = new Option<bool>("--human", "-H") { Description = "Print sizes and dates in human readable format", DefaultValueFactory = _ => true };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template" };
        var image = new Argument<string>("IMAGE");
        command.Options.Add(human);
        command.Options.Add(noTrunc);
        command.Options.Add(quiet);
        command.Options.Add(format);
        command.Arguments.Add(image);
        command.SetAction(async (parseResult, ct) =>
        {
            var store = CliStore.Open(parseResult);
            var img = await store.ResolveAsync(parseResult.GetValue(image)!, ct).ConfigureAwait(false);
            var isHuman = parseResult.GetValue(human);
            var full = parseResult.GetValue(noTrunc);
            var history = img.Config.History?.ToList() ?? [];
            if (history.Count == 0)
            {
                history = [.. img.Layers.Select(_ => new Oci.HistoryEntry { Created = img.Created })];
            }

            var rows = new List<JsonObject>();
            var layerIndex = 0;
            var sizes = new List<long>();
            foreach (var entry in history)
            {
                sizes.Add(!entry.EmptyLayer && layerIndex < img.Layers.Count ? await LayerSizeAsync(store, img.Layers[layerIndex++], ct).ConfigureAwait(false) : 0);
            }

            for (var i = history.Count - 1; i >= 0; i--)
            {
                var entry = history[i];
                var id = i == history.Count - 1 ? (full ? img.Id.ToString() : img.Id.Short) : "<missing>";
                var createdBy = entry.CreatedBy ?? string.Empty;
                if (!full && createdBy.Length > 45)
                {
                    createdBy = createdBy[..44] + "…";
                }

                rows.Add(new JsonObject
                {
                    ["Comment"] = entry.Comment ?? string.Empty,
                    ["CreatedAt"] = entry.Created is null ? string.Empty : HumanUnits.Rfc3339(entry.Created),
                    ["CreatedBy"] = createdBy,
                    ["CreatedSince"] = isHuman ? HumanUnits.Ago(entry.Created) : (entry.Created is null ? string.Empty : HumanUnits.Rfc3339(entry.Created)),
                    ["ID"] = id,
                    ["Size"] = isHuman ? HumanUnits.Size(sizes[i]) : sizes[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
                });
            }

            var fmt = parseResult.GetValue(quiet) ? "{{.ID}}" : parseResult.GetValue(format);
            const string Default = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
            Console.Out.Write(OutputFormat.Render(fmt, Default, Headers, rows));
            return 0;
        });
        return command;
    }

    /// <summary>A layer's uncompressed (tar) size, as docker shows it; its blob size when it is not stored or unreadable.</summary>
    private static async Task<long> LayerSizeAsync(ImageStore store, Descriptor layer, CancellationToken ct)
    {
        try
        {
            return (await store.GetLayerInfoAsync(layer, ct).ConfigureAwait(false))?.UncompressedSize ?? layer.Size;
        }
        catch (GantryException)
        {
            return layer.Size;
        }
    }
}
