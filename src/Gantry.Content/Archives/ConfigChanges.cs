// Owns: applying docker's `--change` instructions (CMD, ENTRYPOINT, ENV, WORKDIR, EXPOSE, USER, LABEL, VOLUME, STOPSIGNAL) to a config.
using System.Text.Json;
using Gantry.Oci;

namespace Gantry.Content.Archives;

/// <summary>Applies `docker import --change` / `docker commit --change` instructions to a container config.</summary>
public static class ConfigChanges
{
    public static ContainerConfig Apply(ContainerConfig? config, IEnumerable<string> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var result = config ?? new ContainerConfig();
        foreach (var raw in changes)
        {
            var change = raw.Trim();
            if (change.Length == 0)
            {
                continue;
            }

            var space = change.IndexOfAny([' ', '\t']);
            var keyword = (space < 0 ? change : change[..space]).ToUpperInvariant();
            var rest = space < 0 ? string.Empty : change[(space + 1)..].Trim();
            result = keyword switch
            {
                "CMD" => result with { Cmd = Command(rest, raw) },
                "ENTRYPOINT" => result with { Entrypoint = Command(rest, raw) },
                "ENV" => result with { Env = MergeEnv(result.Env, Pairs(rest, raw)) },
                "WORKDIR" => result with { WorkingDir = Required(rest, raw) },
                "USER" => result with { User = Required(rest, raw) },
                "STOPSIGNAL" => result with { StopSignal = Required(rest, raw) },
                "EXPOSE" => result with { ExposedPorts = AddKeys(result.ExposedPorts, Words(rest, raw).Select(p => p.Contains('/', StringComparison.Ordinal) ? p : p + "/tcp")) },
                "VOLUME" => result with { Volumes = AddKeys(result.Volumes, rest.StartsWith('[') ? JsonArray(rest, raw) : Words(rest, raw)) },
                "LABEL" => result with { Labels = MergeLabels(result.Labels, Pairs(rest, raw)) },
                _ => throw new GantryException($"--change '{raw}': {keyword} is not supported; use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME or WORKDIR"),
            };
        }

        return result;
    }

    private static string Required(string value, string raw) =>
        value.Length > 0 ? Unquote(value) : throw new GantryException($"--change '{raw}': the instruction needs a value");

    private static List<string> Command(string rest, string raw)
    {
        if (rest.StartsWith('['))
        {
            return JsonArray(rest, raw);
        }

        return ["/bin/sh", "-c", Required(rest, raw)];
    }

    private static List<string> JsonArray(string rest, string raw)
    {
        try
        {
            return JsonSerializer.Deserialize(rest, OciJsonContext.Default.ListString) ?? [];
        }
        catch (JsonException)
        {
            throw new GantryException($"--change '{raw}': the JSON form must be an array of strings, e.g. [\"sh\", \"-c\", \"echo hi\"]");
        }
    }

    private static List<string> Words(string rest, string raw)
    {
        var words = rest.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(Unquote).ToList();
        return words.Count > 0 ? words : throw new GantryException($"--change '{raw}': the instruction needs a value");
    }

    /// <summary>Parses `K=V K2="v 2"` or the legacy `K V` form.</summary>
    private static List<KeyValuePair<string, string>> Pairs(string rest, string raw)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (rest.Length == 0)
        {
            throw new GantryException($"--change '{raw}': the instruction needs KEY=VALUE");
        }

        var firstSpace = rest.IndexOfAny([' ', '\t']);
        var firstEq = rest.IndexOf('=', StringComparison.Ordinal);
        if (firstEq < 0 || (firstSpace >= 0 && firstSpace < firstEq))
        {
            if (firstSpace < 0)
            {
                throw new GantryException($"--change '{raw}': use KEY=VALUE");
            }

            pairs.Add(new(rest[..firstSpace], Unquote(rest[(firstSpace + 1)..].Trim())));
            return pairs;
        }

        foreach (var token in Tokenize(rest))
        {
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new GantryException($"--change '{raw}': '{token}' is not KEY=VALUE");
            }

            pairs.Add(new(token[..eq], token[(eq + 1)..]));
        }

        return pairs;
    }

    /// <summary>Splits on whitespace outside quotes, removing the quotes.</summary>
    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var current = new System.Text.StringBuilder();
        char quote = '\0';
        var any = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && i + 1 < text.Length)
                {
                    current.Append(text[++i]);
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                any = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (any || current.Length > 0)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                    any = false;
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (any || current.Length > 0)
        {
            tokens.Add(current.ToString());
        }

        return tokens;
    }

    private static string Unquote(string s) =>
        s.Length >= 2 && ((s[0] == '"' && s[^1] == '"') || (s[0] == '\'' && s[^1] == '\'')) ? s[1..^1] : s;

    private static List<string> MergeEnv(IReadOnlyList<string>? env, List<KeyValuePair<string, string>> pairs)
    {
        var list = env?.ToList() ?? [];
        foreach (var (k, v) in pairs)
        {
            list.RemoveAll(e => e.StartsWith(k + "=", StringComparison.Ordinal));
            list.Add($"{k}={v}");
        }

        return list;
    }

    private static Dictionary<string, string> MergeLabels(IReadOnlyDictionary<string, string>? labels, List<KeyValuePair<string, string>> pairs)
    {
        var dict = labels is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(labels, StringComparer.Ordinal);
        foreach (var (k, v) in pairs)
        {
            dict[k] = v;
        }

        return dict;
    }

    private static Dictionary<string, EmptyObject> AddKeys(IReadOnlyDictionary<string, EmptyObject>? existing, IEnumerable<string> keys)
    {
        var dict = existing is null ? new Dictionary<string, EmptyObject>(StringComparer.Ordinal) : new Dictionary<string, EmptyObject>(existing, StringComparer.Ordinal);
        foreach (var k in keys)
        {
            dict[k] = EmptyObject.Instance;
        }

        return dict;
    }
}
