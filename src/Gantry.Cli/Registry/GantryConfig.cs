// Owns: Gantry's own config file (/etc/gantry/config.toml, ~/.config/gantry/config.toml; a TOML subset) and its env overrides.
using Gantry.Oci;

namespace Gantry.Cli.Registry;

/// <summary>
/// The <c>[registry]</c> settings: <c>mirrors = ["http://127.0.0.1:5000"]</c> (tried first for docker.io pulls) and
/// <c>insecure = ["myhost:5000"]</c> (plain HTTP / unverified TLS allowed). Files are read in order — /etc/gantry/config.toml,
/// then $XDG_CONFIG_HOME/gantry/config.toml (default ~/.config) or $GANTRY_CONFIG when set — later keys replacing earlier
/// ones; then <c>GANTRY_REGISTRY_MIRRORS</c> and <c>GANTRY_INSECURE_REGISTRIES</c> (comma-separated) replace the lists.
/// </summary>
public sealed record GantryConfig
{
    public IReadOnlyList<Uri> Mirrors { get; init; } = [];

    public IReadOnlyList<string> Insecure { get; init; } = [];

    public static IReadOnlyList<string> DefaultFiles
    {
        get
        {
            var explicitFile = Environment.GetEnvironmentVariable("GANTRY_CONFIG");
            if (!string.IsNullOrEmpty(explicitFile))
            {
                return [explicitFile];
            }

            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            if (string.IsNullOrEmpty(xdg))
            {
                xdg = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            }

            return ["/etc/gantry/config.toml", Path.Combine(xdg, "gantry", "config.toml")];
        }
    }

    /// <summary>Reads the default files and the environment.</summary>
    public static GantryConfig Load() => Load(DefaultFiles, Environment.GetEnvironmentVariable);

    public static GantryConfig Load(IEnumerable<string> files, Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(env);
        var config = new GantryConfig();
        foreach (var file in files)
        {
            if (File.Exists(file))
            {
                config = Merge(config, file, ParseToml(File.ReadAllText(file), file));
            }
        }

        if (env("GANTRY_REGISTRY_MIRRORS") is { Length: > 0 } mirrors)
        {
            config = config with { Mirrors = ParseMirrors(SplitList(mirrors), "GANTRY_REGISTRY_MIRRORS") };
        }

        if (env("GANTRY_INSECURE_REGISTRIES") is { Length: > 0 } insecure)
        {
            config = config with { Insecure = SplitList(insecure) };
        }

        return config;
    }

    private static List<string> SplitList(string value) => [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static GantryConfig Merge(GantryConfig config, string file, Dictionary<string, (List<string> Values, int Line)> keys)
    {
        if (keys.TryGetValue("registry.mirrors", out var m))
        {
            config = config with { Mirrors = ParseMirrors(m.Values, $"{file} line {m.Line}") };
        }

        if (keys.TryGetValue("registry.insecure", out var i))
        {
            config = config with { Insecure = i.Values };
        }

        return config;
    }

    private static List<Uri> ParseMirrors(List<string> values, string where)
    {
        var result = new List<Uri>();
        foreach (var v in values)
        {
            var text = v.Contains("://", StringComparison.Ordinal) ? v : "https://" + v;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new GantryException($"{where}: the registry mirror '{v}' is not a URL: write it like \"http://127.0.0.1:5000\" or \"https://mirror.example.com\"");
            }

            result.Add(uri);
        }

        return result;
    }

    /// <summary>
    /// Parses the TOML subset Gantry uses: <c>[table]</c> headers, <c>key = "string"</c>, <c>key = ["a", "b"]</c> (arrays may
    /// span lines), booleans/numbers kept as text, <c>#</c> comments. Returns "table.key" → values.
    /// </summary>
    public static Dictionary<string, (List<string> Values, int Line)> ParseToml(string text, string file)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new Dictionary<string, (List<string>, int)>(StringComparer.Ordinal);
        var table = string.Empty;
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = StripComment(lines[n]).Trim();
            var lineNo = n + 1;
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('['))
            {
                if (!line.EndsWith(']') || line.StartsWith("[[", StringComparison.Ordinal))
                {
                    throw new GantryException($"{file} line {lineNo}: '{line}' is not a table header: write it like [registry]");
                }

                table = line[1..^1].Trim();
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new GantryException($"{file} line {lineNo}: expected 'key = value', got '{line}'");
            }

            var key = line[..eq].Trim().Trim('"');
            var value = line[(eq + 1)..].Trim();
            if (value.StartsWith('['))
            {
                while (!value.TrimEnd().EndsWith(']') && n + 1 < lines.Length)
                {
                    n++;
                    value += " " + StripComment(lines[n]).Trim();
                }

                if (!value.TrimEnd().EndsWith(']'))
                {
                    throw new GantryException($"{file} line {lineNo}: the array of '{key}' is not closed with ']'");
                }

                var items = new List<string>();
                foreach (var raw in SplitArray(value.Trim()[1..^1]))
                {
                    items.Add(ParseScalar(raw, file, lineNo, key));
                }

                result[table.Length == 0 ? key : table + "." + key] = (items, lineNo);
            }
            else
            {
                result[table.Length == 0 ? key : table + "." + key] = ([ParseScalar(value, file, lineNo, key)], lineNo);
            }
        }

        return result;
    }

    private static IEnumerable<string> SplitArray(string inner)
    {
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in inner)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }

            if (c == ',' && !quoted)
            {
                if (current.ToString().Trim().Length > 0)
                {
                    yield return current.ToString().Trim();
                }

                current.Clear();
                continue;
            }

            current.Append(c);
        }

        if (current.ToString().Trim().Length > 0)
        {
            yield return current.ToString().Trim();
        }
    }

    private static string ParseScalar(string raw, string file, int line, string key)
    {
        if (raw.Length >= 2 && ((raw[0] == '"' && raw[^1] == '"') || (raw[0] == '\'' && raw[^1] == '\'')))
        {
            return raw[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
        }

        if (raw.StartsWith('"') || raw.StartsWith('\''))
        {
            throw new GantryException($"{file} line {line}: the value of '{key}' has an unclosed quote");
        }

        return raw;
    }

    private static string StripComment(string line)
    {
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '"')
            {
                quoted = !quoted;
            }
            else if (line[i] == '#' && !quoted)
            {
                return line[..i];
            }
        }

        return line;
    }
}
