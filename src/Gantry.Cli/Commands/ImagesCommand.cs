// Owns: `gantry images` / `gantry image ls|list`: docker's image table, -q, -a, --digests, --no-trunc, --filter, --format.
using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gantry.Cli.Output;
using Gantry.Content;
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Cli.Commands;

internal static class ImagesCommand
{
    public static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["Repository"] = "REPOSITORY",
        ["Tag"] = "TAG",
        ["ID"] = "IMAGE ID",
        ["Digest"] = "DIGEST",
        ["CreatedSince"] = "CREATED",
        ["CreatedAt"] = "CREATED AT",
        ["Size"] = "SIZE",
        ["VirtualSize"] = "SIZE",
        ["SharedSize"] = "SHARED SIZE",
        ["UniqueSize"] = "UNIQUE SIZE",
        ["Containers"] = "CONTAINERS",
    };

    public static Command Create(string name = "images", params string[] aliases)
    {
        var command = new Command(name, "List images");
        foreach (var alias in aliases)
        {
            command.Aliases.Add(alias);
        }

        var all = new Option<bool>("--all", "-a") { Description = "Show all images (default hides intermediate images)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
        var digests = new Option<bool>("--digests") { Description = "Show digests" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "Filter output based on conditions provided (reference=, dangling=, label=, before=, since=)", AllowMultipleArgumentsPerToken = false };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template" };
        var repository = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        command.Options.Add(all);
        command.Options.Add(quiet);
        command.Options.Add(digests);
        command.Options.Add(noTrunc);
        command.Options.Add(filter);
        command.Options.Add(format);
        command.Arguments.Add(repository);
        command.SetAction(async (parseResult, ct) =>
        {
            var store = CliStore.Open(parseResult);
            var images = await store.ListAsync(ct).ConfigureAwait(false);
            var filters = Filters.Parse(parseResult.GetValue(filter) ?? []);
            var repo = parseResult.GetValue(repository);
            // Sizes come from the layer records (computed once per layer, then only read); -q and formats without a size skip them.
            var userFormat = parseResult.GetValue(format);
            var needSizes = !parseResult.GetValue(quiet)
                && (string.IsNullOrEmpty(userFormat) || userFormat is "json" or "table" || userFormat.Contains("Size", StringComparison.Ordinal)
                    || userFormat.Contains("{{.}}", StringComparison.Ordinal) || userFormat.Contains("json .", StringComparison.Ordinal));
            var sizes = new Dictionary<Digest, long>();
            foreach (var image in images)
            {
                sizes[image.Target.Digest] = needSizes ? await store.GetImageSizeAsync(image, ct).ConfigureAwait(false) : 0;
            }

            var rows = BuildRows(images, sizes, filters, repo, parseResult.GetValue(noTrunc));
            var fmt = parseResult.GetValue(format);
            if (parseResult.GetValue(quiet))
            {
                fmt = "{{.ID}}";
            }
            else if (string.IsNullOrEmpty(fmt) || fmt == "table")
            {
                fmt = parseResult.GetValue(digests)
                    ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                    : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
            }

            Console.Out.Write(OutputFormat.Render(fmt, fmt, Headers, rows));
            return 0;
        });
        return command;
    }

    private static List<JsonObject> BuildRows(IReadOnlyList<Image> images, Dictionary<Digest, long> sizes, Filters filters, string? repository, bool noTrunc)
    {
        ImageReference? repoRef = null;
        if (!string.IsNullOrEmpty(repository))
        {
            repoRef = ImageReference.Parse(repository);
        }

        var rows = new List<JsonObject>();
        foreach (var image in images)
        {
            if (!filters.Matches(image, images))
            {
                continue;
            }

            var entries = new List<(string Repository, string Tag, string Digest)>();
            var tagged = image.Names.Where(n => n.Tag is not null).ToList();
            foreach (var name in tagged)
            {
                var digest = image.Names.FirstOrDefault(n => n.Digest is not null && n.Name == name.Name)?.Digest?.ToString() ?? "<none>";
                entries.Add((name.FamiliarName, name.Tag!, digest));
            }

            foreach (var name in image.Names.Where(n => n.Tag is null && n.Digest is not null && !tagged.Any(t => t.Name == n.Name)))
            {
                entries.Add((name.FamiliarName, "<none>", name.Digest!.Value.ToString()));
            }

            if (entries.Count == 0)
            {
                entries.Add(("<none>", "<none>", "<none>"));
            }

            foreach (var (repo, tag, digest) in entries)
            {
                if (repoRef is not null && !MatchesRepository(repoRef, repo, tag, image))
                {
                    continue;
                }

                if (!filters.MatchesReference(repo, tag))
                {
                    continue;
                }

                rows.Add(Row(image, sizes[image.Target.Digest], repo, tag, digest, noTrunc));
            }
        }

        return rows;
    }

    private static bool MatchesRepository(ImageReference wanted, string repo, string tag, Image image)
    {
        if (repo == "<none>")
        {
            return false;
        }

        var name = ImageReference.Parse(repo);
        if (name.Name != wanted.Name)
        {
            return false;
        }

        if (wanted.Tag is not null && wanted.Tag != tag)
        {
            return false;
        }

        return wanted.Digest is null || image.Names.Any(n => n.Digest == wanted.Digest);
    }

    /// <summary>One row of the table; <paramref name="size"/> is the uncompressed size (<see cref="ImageStore.GetImageSizeAsync"/>).</summary>
    public static JsonObject Row(Image image, long size, string repo, string tag, string digest, bool noTrunc) => new()
    {
        ["Containers"] = "N/A",
        ["CreatedAt"] = HumanUnits.GoTime(image.Created),
        ["CreatedSince"] = HumanUnits.Ago(image.Created),
        ["Digest"] = digest,
        ["ID"] = noTrunc ? image.Id.ToString() : image.Id.Short,
        ["Repository"] = repo,
        ["SharedSize"] = "N/A",
        ["Size"] = HumanUnits.Size(size),
        ["Tag"] = tag,
        ["UniqueSize"] = "N/A",
        ["VirtualSize"] = HumanUnits.Size(size),
    };

    /// <summary>docker's image list filters.</summary>
    private sealed class Filters
    {
        private readonly List<string> _references = [];
        private bool? _dangling;
        private readonly List<string> _labels = [];
        private readonly List<string> _before = [];
        private readonly List<string> _since = [];

        public static Filters Parse(string[] values)
        {
            var f = new Filters();
            foreach (var value in values)
            {
                var eq = value.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new GantryException($"bad format of filter '{value}' (expected name=value)");
                }

                var key = value[..eq].ToLowerInvariant();
                var v = value[(eq + 1)..];
                switch (key)
                {
                    case "reference":
                        f._references.Add(v);
                        break;
                    case "dangling":
                        f._dangling = v.ToLowerInvariant() switch
                        {
                            "true" or "1" => true,
                            "false" or "0" => false,
                            _ => throw new GantryException($"invalid filter 'dangling={v}': use dangling=true or dangling=false"),
                        };
                        break;
                    case "label":
                        f._labels.Add(v);
                        break;
                    case "before":
                        f._before.Add(v);
                        break;
                    case "since":
                        f._since.Add(v);
                        break;
                    default:
                        throw new GantryException($"invalid filter '{key}': image filters are reference, dangling, label, before and since");
                }
            }

            return f;
        }

        public bool Matches(Image image, IReadOnlyList<Image> all)
        {
            if (_dangling is { } d && d != image.IsDangling)
            {
                return false;
            }

            foreach (var label in _labels)
            {
                var eq = label.IndexOf('=', StringComparison.Ordinal);
                var labels = image.Config.Config?.Labels;
                if (labels is null)
                {
                    return false;
                }

                if (eq < 0 ? !labels.ContainsKey(label) : !(labels.TryGetValue(label[..eq], out var lv) && lv == label[(eq + 1)..]))
                {
                    return false;
                }
            }

            foreach (var b in _before)
            {
                var other = Find(all, b);
                if (other is null || !(image.Created < other.Created))
                {
                    return false;
                }
            }

            foreach (var s in _since)
            {
                var other = Find(all, s);
                if (other is null || !(image.Created > other.Created))
                {
                    return false;
                }
            }

            return true;
        }

        private static Image? Find(IReadOnlyList<Image> all, string nameOrId)
        {
            if (ImageReference.TryParse(nameOrId, out var r))
            {
                var full = r.WithDefaultTag().ToString();
                var byName = all.FirstOrDefault(i => i.Names.Any(n => n.ToString() == full));
                if (byName is not null)
                {
                    return byName;
                }
            }

            var id = nameOrId.StartsWith("sha256:", StringComparison.Ordinal) ? nameOrId : "sha256:" + nameOrId;
            return all.FirstOrDefault(i => i.Id.ToString().StartsWith(id, StringComparison.Ordinal))
                ?? throw new GantryException($"No such image: {nameOrId}");
        }

        /// <summary>reference=PATTERN: a glob (path.Match) against the familiar name or familiar name:tag.</summary>
        public bool MatchesReference(string repo, string tag)
        {
            if (_references.Count == 0)
            {
                return true;
            }

            if (repo == "<none>")
            {
                return false;
            }

            foreach (var pattern in _references)
            {
                var regex = GlobToRegex(pattern);
                if (regex.IsMatch(repo) || regex.IsMatch(repo + ":" + tag))
                {
                    return true;
                }
            }

            return false;
        }

        private static Regex GlobToRegex(string pattern)
        {
            var sb = new System.Text.StringBuilder("^");
            foreach (var c in pattern)
            {
                sb.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }

            return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
    }
}
