// Owns: parsing and validating one RUN --mount value (CSV of key=value) with BuildKit's defaults.
using System.Globalization;

namespace Gantry.Dockerfile.Instructions;

/// <summary>Parses <c>--mount</c> values such as <c>type=cache,target=/root/.cache,sharing=locked</c>.</summary>
public static class MountParser
{
    /// <summary>Parses one mount value; throws <see cref="DockerfileException"/> (no location) when invalid.</summary>
    public static MountSpec Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var fields = SplitCsv(value);
        var type = MountType.Bind;
        foreach (var f in fields)
        {
            var (k, v) = SplitKv(f);
            if (k.Equals("type", StringComparison.OrdinalIgnoreCase))
            {
                type = (v ?? "").ToLowerInvariant() switch
                {
                    "bind" => MountType.Bind,
                    "cache" => MountType.Cache,
                    "tmpfs" => MountType.Tmpfs,
                    "secret" => MountType.Secret,
                    "ssh" => MountType.Ssh,
                    _ => throw Err($"unsupported mount type \"{v}\" in --mount={value}: use bind, cache, tmpfs, secret or ssh"),
                };
            }
        }

        string? target = null, from = null, source = null, id = null, env = null;
        bool? readOnly = null;
        var required = false;
        var sharing = CacheSharing.Shared;
        int? mode = null, uid = null, gid = null;
        long? size = null;
        foreach (var f in fields)
        {
            var (key, v) = SplitKv(f);
            var k = key.ToLowerInvariant();
            switch (k)
            {
                case "type":
                    break;
                case "target" or "dst" or "destination":
                    target = Need(k, v, value);
                    break;
                case "from":
                    from = Need(k, v, value);
                    break;
                case "source" or "src":
                    source = Need(k, v, value);
                    break;
                case "id":
                    id = Need(k, v, value);
                    break;
                case "env":
                    env = Need(k, v, value);
                    break;
                case "readonly" or "ro":
                    readOnly = ParseBool(k, v, value);
                    break;
                case "readwrite" or "rw":
                    readOnly = !ParseBool(k, v, value);
                    break;
                case "required":
                    required = ParseBool(k, v, value);
                    break;
                case "sharing":
                    sharing = (v ?? "").ToLowerInvariant() switch
                    {
                        "shared" => CacheSharing.Shared,
                        "private" => CacheSharing.Private,
                        "locked" => CacheSharing.Locked,
                        _ => throw Err($"unsupported sharing value \"{v}\" in --mount={value}: use shared, private or locked"),
                    };
                    break;
                case "mode":
                    mode = ParseInt(k, v, value, 8);
                    break;
                case "uid":
                    uid = ParseInt(k, v, value, 10);
                    break;
                case "gid":
                    gid = ParseInt(k, v, value, 10);
                    break;
                case "size":
                    size = ParseSize(v, value);
                    break;
                default:
                    throw Err($"unexpected key '{key}' in --mount={value}");
            }
        }

        if (type is MountType.Secret)
        {
            if (target is null && id is null && env is null)
            {
                throw Err($"--mount={value}: a secret mount needs id= or target=");
            }

            id ??= target is not null ? target.TrimEnd('/').Split('/')[^1] : env;
            if (target is null && env is null)
            {
                target = "/run/secrets/" + id;
            }

            mode ??= Convert.ToInt32("400", 8);
        }
        else if (type is MountType.Ssh)
        {
            id ??= "default";
            mode ??= Convert.ToInt32("600", 8);
        }
        else if (string.IsNullOrEmpty(target))
        {
            throw Err($"--mount={value}: target is required (e.g. target=/root/.cache)");
        }

        if (type is MountType.Cache)
        {
            id ??= target;
        }

        if ((type is MountType.Tmpfs or MountType.Secret or MountType.Ssh) && from is not null)
        {
            throw Err($"--mount={value}: from= is only valid for bind and cache mounts");
        }

        return new MountSpec
        {
            Type = type,
            Target = target ?? "",
            From = from,
            Source = source,
            Id = id,
            Env = env,
            ReadOnly = readOnly ?? (type is MountType.Bind),
            Required = required,
            Sharing = sharing,
            Mode = mode,
            Uid = uid,
            Gid = gid,
            SizeLimit = size,
            Raw = value,
        };
    }

    private static List<string> SplitCsv(string value)
    {
        var list = new List<string>();
        var cur = new System.Text.StringBuilder();
        var inQuote = false;
        foreach (var c in value)
        {
            if (c == '"')
            {
                inQuote = !inQuote;
                continue;
            }

            if (c == ',' && !inQuote)
            {
                list.Add(cur.ToString());
                cur.Clear();
                continue;
            }

            cur.Append(c);
        }

        if (inQuote)
        {
            throw Err($"unterminated quote in --mount={value}");
        }

        list.Add(cur.ToString());
        return list.Where(f => f.Length > 0).ToList();
    }

    private static (string Key, string? Value) SplitKv(string field)
    {
        var eq = field.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? (field.Trim(), null) : (field[..eq].Trim(), field[(eq + 1)..]);
    }

    private static string Need(string key, string? v, string all) =>
        string.IsNullOrEmpty(v) ? throw Err($"--mount={all}: {key} needs a value ({key}=…)") : v;

    private static bool ParseBool(string key, string? v, string all) => v?.ToLowerInvariant() switch
    {
        null or "true" or "1" => true,
        "false" or "0" => false,
        _ => throw Err($"--mount={all}: invalid value for {key}: \"{v}\" (expected true or false)"),
    };

    private static int ParseInt(string key, string? v, string all, int radix)
    {
        try
        {
            var n = Convert.ToInt32(Need(key, v, all), radix);
            if (n < 0)
            {
                throw new FormatException();
            }

            return n;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            throw Err($"--mount={all}: invalid value for {key}: \"{v}\"");
        }
    }

    private static long ParseSize(string? v, string all)
    {
        var s = Need("size", v, all).Trim();
        var mult = 1L;
        var last = char.ToLowerInvariant(s[^1]);
        var unit = last switch { 'k' => 1024L, 'm' => 1024L * 1024, 'g' => 1024L * 1024 * 1024, 'b' => 1L, _ => 0L };
        if (unit > 0)
        {
            mult = unit;
            s = s[..^1];
        }

        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw Err($"--mount={all}: invalid size \"{v}\"");
        }

        if (n > long.MaxValue / mult)
        {
            throw Err($"--mount={all}: size \"{v}\" is too large");
        }

        return n * mult;
    }

    private static DockerfileException Err(string message) => new("", 0, 0, message);
}
