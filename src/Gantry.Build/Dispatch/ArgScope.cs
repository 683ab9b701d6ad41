// Owns: ARG semantics: global (pre-FROM) args, per-stage declarations, --build-arg values, predefined proxy and platform args.
using Gantry.Oci;

namespace Gantry.Build.Dispatch;

/// <summary>The build args visible at one point of a stage, in declaration order.</summary>
public sealed class ArgScope
{
    /// <summary>Args every build may pass without declaring them (docker's predefined proxy args); not recorded in history.</summary>
    public static readonly IReadOnlySet<string> Predefined = new HashSet<string>(StringComparer.Ordinal)
    {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    };

    private readonly List<KeyValuePair<string, string?>> _declared = [];

    public ArgScope(IReadOnlyDictionary<string, string?> buildArgs, IReadOnlyDictionary<string, string> automatic)
    {
        BuildArgs = buildArgs;
        Automatic = automatic;
    }

    /// <summary>--build-arg values (already resolved from the environment when given without '=').</summary>
    public IReadOnlyDictionary<string, string?> BuildArgs { get; }

    /// <summary>TARGETPLATFORM, TARGETOS, … BUILDPLATFORM, … values.</summary>
    public IReadOnlyDictionary<string, string> Automatic { get; }

    /// <summary>Build args that some ARG consumed (for docker's "unused build-args" warning).</summary>
    public HashSet<string> Consumed { get; } = new(StringComparer.Ordinal);

    /// <summary>The declared args with their values (null when declared without value and not given).</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Declared => _declared;

    public ArgScope Fork() => new(BuildArgs, Automatic);

    /// <summary>Declares ARG name[=default]; the value is the --build-arg, else <paramref name="globalValue"/>, else the default.</summary>
    public void Declare(string name, string? defaultValue, string? globalValue = null)
    {
        string? value;
        if (BuildArgs.TryGetValue(name, out var given) && given is not null)
        {
            value = given;
            Consumed.Add(name);
        }
        else if (Automatic.TryGetValue(name, out var auto) && defaultValue is null)
        {
            value = auto;
        }
        else
        {
            value = defaultValue ?? globalValue;
        }

        var index = _declared.FindIndex(kv => kv.Key == name);
        if (index >= 0)
        {
            _declared[index] = new(name, value);
        }
        else
        {
            _declared.Add(new(name, value));
        }
    }

    public bool TryGet(string name, out string? value)
    {
        var index = _declared.FindLastIndex(kv => kv.Key == name);
        if (index >= 0)
        {
            value = _declared[index].Value;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>Args with a value, for variable expansion (ENV of the same name wins; the caller layers env on top).</summary>
    public Dictionary<string, string> Values()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in _declared)
        {
            if (v is not null)
            {
                result[k] = v;
            }
        }

        return result;
    }

    /// <summary>Proxy args given with --build-arg: they reach RUN without an ARG line.</summary>
    public IEnumerable<KeyValuePair<string, string>> PredefinedGiven() =>
        BuildArgs.Where(kv => Predefined.Contains(kv.Key) && kv.Value is not null && !_declared.Exists(d => d.Key == kv.Key))
            .Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value!));

    /// <summary>The automatic platform args for a target platform, as BuildKit defines them.</summary>
    public static Dictionary<string, string> PlatformArgs(Platform target, Platform build)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(build);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["TARGETPLATFORM"] = target.ToString(),
            ["TARGETOS"] = target.Os,
            ["TARGETARCH"] = target.Architecture,
            ["TARGETVARIANT"] = target.Variant ?? string.Empty,
            ["BUILDPLATFORM"] = build.ToString(),
            ["BUILDOS"] = build.Os,
            ["BUILDARCH"] = build.Architecture,
            ["BUILDVARIANT"] = build.Variant ?? string.Empty,
        };
    }
}
