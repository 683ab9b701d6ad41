// Owns: `gantry system` and `gantry system df` (images, containers' writable layers, volumes, build cache; -v, --format).
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text;
using Gantry.Cli.Containers;
using Gantry.Cli.Output;
using Gantry.Content;
using Gantry.Oci;
using Gantry.Runtime.State;
using Gantry.Runtime.Usage;
using Gantry.Runtime.Volumes;

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
        var command = new Command("df", "Show docker disk usage");
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show detailed information on space usage" };
        command.Options.Add(format);
        command.Options.Add(verbose);
        command.SetAction(async (parseResult, ct) =>
        {
            var root = CliStore.Root(parseResult);
            var store = CliStore.Open(parseResult);
            var containers = RuntimeDiskUsage.Containers(new ContainerStore(root), ct);
            var records = containers.Select(c => c.Container).ToList();
            var volumes = RuntimeDiskUsage.Volumes(new VolumeStore(root), records, ct);
            var usedImages = records.Select(c => Digest.TryParse(c.ImageId, out var d) ? d : default).Where(d => !d.IsDefault).ToHashSet();
            var external = CliStore.InUse(parseResult);
            bool InUse(Digest id) => usedImages.Contains(id) || (external?.Invoke(id) ?? false);
            var usage = await store.DiskUsageAsync(InUse, ct).ConfigureAwait(false);
            var build = BuildCacheUsage(root, ct);

            if (parseResult.GetValue(verbose))
            {
                Console.Out.Write(await VerboseAsync(store, containers, volumes, build, InUse, parseResult.GetValue(format), ct).ConfigureAwait(false));
                return 0;
            }

            var containerSize = containers.Sum(c => c.SizeRw);
            var volumeSize = volumes.Sum(v => v.Size);
            var rows = new List<JsonObject>
            {
                Row("Images", usage.Total, usage.Active, usage.Size, usage.Reclaimable),
                Row("Containers", containers.Count, containers.Count(c => c.Running), containerSize, containers.Where(c => !c.Running).Sum(c => c.SizeRw)),
                Row("Local Volumes", volumes.Count, volumes.Count(v => v.Links > 0), volumeSize, volumes.Where(v => v.Links == 0).Sum(v => v.Size)),
                Row("Build Cache", build.Entries, 0, build.Bytes, build.Bytes),
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

    /// <summary>
    /// What the builder keeps under ROOT/build (the same measure as `gantry builder prune`): cache entries are the step
    /// records (build/**/cache/*.json), the size every file there.
    /// </summary>
    private static (int Entries, long Bytes) BuildCacheUsage(string root, CancellationToken ct)
    {
        var dir = Path.Combine(root, "build");
        if (!Directory.Exists(dir))
        {
            return (0, 0);
        }

        var entries = 0;
        foreach (var file in Directory.EnumerateFiles(dir, "*.json", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 }))
        {
            ct.ThrowIfCancellationRequested();
            if (file.Contains("/cache/", StringComparison.Ordinal))
            {
                entries++;
            }
        }

        return (entries, RuntimeDiskUsage.DirectorySize(dir, ct));
    }

    /// <summary>docker system df -v: one table per kind (or, with --format, the rows of every kind through the template).</summary>
    private static async Task<string> VerboseAsync(ImageStore store, IReadOnlyList<ContainerUsage> containers, IReadOnlyList<VolumeUsage> volumes,
        (int Entries, long Bytes) build, Func<Digest, bool> inUse, string? format, CancellationToken ct)
    {
        var images = await store.ListAsync(ct).ConfigureAwait(false);
        var layerUsers = images.SelectMany(i => i.Layers.Select(l => l.Digest).Distinct()).GroupBy(d => d).ToDictionary(g => g.Key, g => g.Count());
        var imageRows = new List<JsonObject>();
        foreach (var image in images)
        {
            long size = 0, shared = 0;
            foreach (var layer in image.Layers.DistinctBy(l => l.Digest))
            {
                var layerSize = await LayerSizeAsync(store, layer, ct).ConfigureAwait(false);
                size += layerSize;
                if (layerUsers[layer.Digest] > 1)
                {
                    shared += layerSize;
                }
            }

            var users = containers.Count(c => c.Container.ImageId == image.Id.ToString());
            var tags = image.Names.Where(n => n.Tag is not null).ToList();
            var (repo, tag) = tags.Count > 0 ? (tags[0].FamiliarName, tags[0].Tag!) : ("<none>", "<none>");
            imageRows.Add(new JsonObject
            {
                ["Containers"] = users.ToString(CultureInfo.InvariantCulture),
                ["CreatedAt"] = HumanUnits.GoTime(image.Created),
                ["CreatedSince"] = HumanUnits.Ago(image.Created),
                ["ID"] = image.Id.Short,
                ["Repository"] = repo,
                ["SharedSize"] = HumanUnits.Size(shared),
                ["Size"] = HumanUnits.Size(size),
                ["Tag"] = tag,
                ["UniqueSize"] = HumanUnits.Size(size - shared),
                ["VirtualSize"] = HumanUnits.Size(size),
                ["Type"] = "Image",
                ["InUse"] = inUse(image.Id),
            });
        }

        var containerRows = containers.Select(c => new JsonObject
        {
            ["Command"] = "\"" + Truncate(ContainerCli.CommandText(c.Container), 20) + "\"",
            ["CreatedAt"] = HumanUnits.GoTime(c.Container.Created),
            ["RunningFor"] = HumanUnits.Ago(c.Container.Created),
            ["ID"] = c.Container.ShortId,
            ["Image"] = c.Container.Image,
            ["LocalVolumes"] = c.LocalVolumes.ToString(CultureInfo.InvariantCulture),
            ["Names"] = c.Container.Name,
            ["Size"] = HumanUnits.Size(c.SizeRw),
            ["State"] = ContainerCli.StateName(c.Container),
            ["Status"] = ContainerCli.Status(c.Container),
            ["Type"] = "Container",
        }).ToList();
        var volumeRows = volumes.Select(v => new JsonObject
        {
            ["Driver"] = v.Volume.Driver,
            ["Links"] = v.Links.ToString(CultureInfo.InvariantCulture),
            ["Mountpoint"] = v.Volume.Mountpoint,
            ["Name"] = v.Volume.Name,
            ["Size"] = HumanUnits.Size(v.Size),
            ["Type"] = "Volume",
        }).ToList();

        if (!string.IsNullOrEmpty(format) && format != "table")
        {
            // docker applies a custom format to every row of every section; a "table …" format gets no section titles.
            return OutputFormat.Render(format, format, Headers, [.. imageRows, .. containerRows, .. volumeRows]);
        }

        var sb = new StringBuilder();
        sb.Append("Images space usage:\n\n");
        sb.Append(OutputFormat.Render(null, "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", ImagesCommand.Headers, imageRows));
        sb.Append("\nContainers space usage:\n\n");
        sb.Append(OutputFormat.Render(null, "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}", ContainerHeaders, containerRows));
        sb.Append("\nLocal Volumes space usage:\n\n");
        sb.Append(OutputFormat.Render(null, "table {{.Name}}\t{{.Links}}\t{{.Size}}", VolumeHeaders, volumeRows));
        sb.Append(CultureInfo.InvariantCulture, $"\nBuild cache usage: {HumanUnits.Size(build.Bytes)}\n\n");
        sb.Append("CACHE ID   CACHE TYPE   SIZE   CREATED   LAST USED   USAGE   SHARED\n");
        return sb.ToString();
    }

    private static readonly IReadOnlyDictionary<string, string> ContainerHeaders = new Dictionary<string, string>
    {
        ["ID"] = "CONTAINER ID",
        ["Image"] = "IMAGE",
        ["Command"] = "COMMAND",
        ["LocalVolumes"] = "LOCAL VOLUMES",
        ["Size"] = "SIZE",
        ["RunningFor"] = "CREATED",
        ["Status"] = "STATUS",
        ["Names"] = "NAMES",
    };

    private static readonly IReadOnlyDictionary<string, string> VolumeHeaders = new Dictionary<string, string>
    {
        ["Name"] = "VOLUME NAME",
        ["Links"] = "LINKS",
        ["Size"] = "SIZE",
    };

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

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
