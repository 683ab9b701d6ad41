// Owns: reading a registry config file (JSON, or flat `key: value` YAML / `key = value` TOML) into RegistryOptions.
using System.Globalization;
using System.Text.Json;
using Gantry.Oci;

namespace Gantry.Registry.Server.Configuration;

/// <summary>
/// Loads registry settings from a file. JSON is one flat object; otherwise each line is <c>key: value</c> or
/// <c>key = value</c>, with <c>#</c> comments and optional quotes. Keys are the CLI flag names without dashes
/// (<c>addr</c>, <c>root</c>, <c>tls-cert</c>…); <c>-</c> and <c>_</c> are interchangeable.
/// </summary>
public static class RegistryConfigFile
{
    public static RegistryOptions Load(string path, RegistryOptions? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new GantryException($"registry config file '{path}' does not exist: pass an existing file to --config");
        }

        var text = File.ReadAllText(path);
        var values = Parse(text, path);
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return Apply(values, defaults ?? new RegistryOptions { Root = Path.Combine(baseDir, "registry") }, baseDir, path);
    }

    /// <summary>Parses the file text into normalized key → value pairs (keys lowercase with '_').</summary>
    public static Dictionary<string, (string Value, int Line)> Parse(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new Dictionary<string, (string, int)>(StringComparer.Ordinal);
        if (text.TrimStart().StartsWith('{'))
        {
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(text);
            }
            catch (JsonException ex)
            {
                throw new GantryException($"registry config file '{what}' is not valid JSON (line {(ex.LineNumber ?? 0) + 1}): {ex.Message}", ex);
            }

            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new GantryException($"registry config file '{what}' must be one JSON object of settings");
                }

                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    var value = p.Value.ValueKind switch
                    {
                        JsonValueKind.String => p.Value.GetString()!,
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        JsonValueKind.Number => p.Value.GetRawText(),
                        JsonValueKind.Null => string.Empty,
                        _ => throw new GantryException($"registry config file '{what}': setting '{p.Name}' must be a string, number or boolean"),
                    };
                    result[Normalize(p.Name)] = (value, 0);
                }
            }

            return result;
        }

        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = StripComment(raw).Trim();
            if (line.Length == 0 || line == "---" || (line.StartsWith('[') && line.EndsWith(']')))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            int sep = colon < 0 ? equals : equals < 0 ? colon : Math.Min(colon, equals);
            if (sep <= 0)
            {
                throw new GantryException($"registry config file '{what}' line {lineNo}: expected 'key: value' or 'key = value', got '{line}'");
            }

            var key = line[..sep].Trim();
            var value = Unquote(line[(sep + 1)..].Trim());
            result[Normalize(key)] = (value, lineNo);
        }

        return result;
    }

    private static string StripComment(string line)
    {
        var quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }

        return line;
    }

    private static string Unquote(string v) =>
        v.Length >= 2 && ((v[0] == '"' && v[^1] == '"') || (v[0] == '\'' && v[^1] == '\'')) ? v[1..^1] : v;

    private static string Normalize(string key) => key.Trim().Trim('"').ToLowerInvariant().Replace('-', '_');

    public static RegistryOptions Apply(Dictionary<string, (string Value, int Line)> values, RegistryOptions options, string baseDir, string what)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var (key, (value, line)) in values)
        {
            string Where() => line > 0 ? $"registry config file '{what}' line {line}" : $"registry config file '{what}'";
            string PathValue() => Path.GetFullPath(value, baseDir);
            bool Bool() => value.ToLowerInvariant() switch
            {
                "true" or "yes" or "on" or "1" => true,
                "false" or "no" or "off" or "0" => false,
                _ => throw new GantryException($"{Where()}: '{key}' must be true or false, not '{value}'"),
            };
            TimeSpan Duration() => ParseDuration(value) ?? throw new GantryException($"{Where()}: '{key}' must be a duration such as 30s, 15m or 1h, not '{value}'");
            string? Opt() => value.Length == 0 ? null : value;

            options = key switch
            {
                "addr" or "address" => options with { Address = value },
                "root" or "rootdirectory" => options with { Root = PathValue() },
                "tls_cert" or "tls_certificate" => options with { TlsCertificate = Opt() is null ? null : PathValue() },
                "tls_key" => options with { TlsKey = Opt() is null ? null : PathValue() },
                "htpasswd" => options with { Htpasswd = Opt() is null ? null : PathValue() },
                "token_realm" => options with { TokenRealm = Opt() },
                "token_service" => options with { TokenService = value },
                "token_issuer" => options with { TokenIssuer = value },
                "token_cert" or "token_certificate" => options with { TokenCertificate = Opt() is null ? null : PathValue() },
                "token_key" or "token_signing_key" => options with { TokenSigningKey = Opt() is null ? null : PathValue() },
                "token_lifetime" => options with { TokenLifetime = Duration() },
                "anonymous_pull" => options with { AnonymousPull = Bool() },
                "read_only" or "readonly" => options with { ReadOnly = Bool() },
                "delete_enabled" or "delete" => options with { DeleteEnabled = Bool() },
                "proxy_remote" or "proxy_remoteurl" => options with { ProxyRemote = Opt() },
                "proxy_username" => options with { ProxyUsername = Opt() },
                "proxy_password" => options with { ProxyPassword = Opt() },
                "proxy_tag_ttl" => options with { ProxyTagTtl = Duration() },
                "max_manifest_bytes" => options with { MaxManifestBytes = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new GantryException($"{Where()}: 'max_manifest_bytes' must be a positive number of bytes") },
                "gc_interval" => options with { GcInterval = Duration() },
                "gc_grace" => options with { GcGrace = Duration() },
                "upload_expiry" => options with { UploadExpiry = Duration() },
                "fsync" => options with { Fsync = Bool() },
                "access_log" => options with { AccessLog = Bool() },
                _ => throw new GantryException($"{Where()}: unknown setting '{key}' (see docs/registry.md for the list)"),
            };
        }

        return options;
    }

    /// <summary>Parses 90, 90s, 15m, 1h, 2d, 500ms, or a .NET TimeSpan (00:15:00).</summary>
    public static TimeSpan? ParseDuration(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        (string suffix, double factor)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];
        foreach (var (suffix, factor) in units)
        {
            if (value.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(value[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
            {
                return TimeSpan.FromSeconds(n * factor);
            }
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var ts) ? ts : null;
    }
}
