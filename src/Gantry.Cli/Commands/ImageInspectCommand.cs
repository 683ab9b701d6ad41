// Owns: `gantry image inspect`: docker-compatible JSON (Id, RepoTags, RepoDigests, Created, Config, RootFS, Size, …) or --format.
using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gantry.Cli.Output;
using Gantry.Content;
using Gantry.Oci;

namespace Gantry.Cli.Commands;

internal static class ImageInspectCommand
{
    public static Command Create()
    {
        var command = new Command("inspect", "Display detailed information on one or more images");
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a custom template: 'json' or a Go template" };
        var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
        command.Options.Add(format);
        command.Arguments.Add(images);
        command.SetAction(async (parseResult, ct) =>
        {
            var store = CliStore.Open(parseResult);
            var nodes = new List<JsonObject>();
            var exit = 0;
            foreach (var name in parseResult.GetValue(images) ?? [])
            {
                var image = await store.TryResolveAsync(name, ct).ConfigureAwait(false);
                if (image is null)
                {
                    Console.Error.WriteLine($"Error: No such image: {name}");
                    exit = 1;
                    continue;
                }

                nodes.Add(ToJson(image, await store.GetImageSizeAsync(image, ct).ConfigureAwait(false)));
            }

            var fmt = parseResult.GetValue(format);
            if (string.IsNullOrEmpty(fmt) || fmt == "json")
            {
                Console.Out.WriteLine(Indented(new JsonArray([.. nodes])));
            }
            else
            {
                var sb = new StringBuilder();
                foreach (var node in nodes)
                {
                    sb.Append(OutputFormat.RenderOne(fmt, node)).Append('\n');
                }

                Console.Out.Write(sb.ToString());
            }

            return exit;
        });
        return command;
    }

    /// <summary>docker's image inspect object for an image; <paramref name="size"/> is its uncompressed size (<see cref="ImageStore.GetImageSizeAsync"/>).</summary>
    public static JsonObject ToJson(Image image, long size)
    {
        ArgumentNullException.ThrowIfNull(image);
        var raw = JsonNode.Parse(image.ConfigBytes) as JsonObject ?? [];
        var config = raw["config"]?.DeepClone();
        var history = image.Config.History;
        var result = new JsonObject
        {
            ["Id"] = image.Id.ToString(),
            ["RepoTags"] = new JsonArray([.. image.RepoTags.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["RepoDigests"] = new JsonArray([.. image.RepoDigests.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["Parent"] = string.Empty,
            ["Comment"] = history is { Count: > 0 } ? history[^1].Comment ?? string.Empty : string.Empty,
            ["Created"] = image.Created is null ? null : HumanUnits.Rfc3339(image.Created),
            ["DockerVersion"] = raw["docker_version"]?.GetValue<string>() ?? string.Empty,
            ["Author"] = image.Config.Author ?? string.Empty,
            ["Config"] = config,
            ["Architecture"] = image.Config.Architecture,
        };
        if (image.Config.Variant is not null)
        {
            result["Variant"] = image.Config.Variant;
        }

        result["Os"] = image.Config.Os;
        result["Size"] = size;
        result["VirtualSize"] = size;
        result["RootFS"] = new JsonObject
        {
            ["Type"] = image.Config.RootFs.Type,
            ["Layers"] = new JsonArray([.. image.Config.RootFs.DiffIds.Select(d => (JsonNode?)JsonValue.Create(d.ToString()))]),
        };
        result["Metadata"] = new JsonObject { ["LastTagTime"] = "0001-01-01T00:00:00Z" };
        result["Descriptor"] = new JsonObject
        {
            ["mediaType"] = image.Target.MediaType,
            ["digest"] = image.Target.Digest.ToString(),
            ["size"] = image.Target.Size,
        };
        return result;
    }

    /// <summary>Indented with 4 spaces and no HTML escaping, as docker prints.</summary>
    public static string Indented(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, IndentSize = 4, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            node.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
