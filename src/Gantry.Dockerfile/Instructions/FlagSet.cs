// Owns: validating the raw --flags of one instruction against the flags it accepts (BuildKit's BFlags).
using Gantry.Dockerfile.Syntax;

namespace Gantry.Dockerfile.Instructions;

internal sealed class FlagSet
{
    private readonly Dictionary<string, string?> singles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> multis = new(StringComparer.Ordinal);

    private FlagSet()
    {
    }

    /// <summary>Validates <paramref name="node"/>'s flags. <paramref name="stringFlags"/> take a value, <paramref name="boolFlags"/>
    /// may omit it, <paramref name="multiFlags"/> may repeat.</summary>
    public static FlagSet Parse(InstructionNode node, string[] stringFlags, string[] boolFlags, string[] multiFlags)
    {
        var set = new FlagSet();
        var instr = node.Keyword.ToUpperInvariant();
        foreach (var raw in node.Flags)
        {
            if (!raw.StartsWith("--", StringComparison.Ordinal))
            {
                throw Err($"arguments should start with --: {raw}");
            }

            var body = raw[2..];
            var eq = body.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? body : body[..eq];
            string? value = eq < 0 ? null : body[(eq + 1)..];
            if (Array.IndexOf(multiFlags, name) >= 0)
            {
                if (value is null)
                {
                    throw Err($"missing a value on flag --{name} of {instr}: write --{name}=VALUE");
                }

                if (!set.multis.TryGetValue(name, out var list))
                {
                    set.multis[name] = list = [];
                }

                list.Add(value);
                continue;
            }

            var isBool = Array.IndexOf(boolFlags, name) >= 0;
            if (!isBool && Array.IndexOf(stringFlags, name) < 0)
            {
                var all = stringFlags.Concat(boolFlags).Concat(multiFlags).Select(f => "--" + f).ToList();
                var accepted = all.Count == 0 ? $"{instr} takes no flags" : $"{instr} accepts {string.Join(", ", all)}";
                throw Err($"unknown flag: --{name} ({accepted})");
            }

            if (set.singles.ContainsKey(name))
            {
                throw Err($"duplicate flag specified: --{name}");
            }

            if (isBool)
            {
                if (value is null || value.Equals("true", StringComparison.OrdinalIgnoreCase))
                {
                    value = "true";
                }
                else if (value.Equals("false", StringComparison.OrdinalIgnoreCase))
                {
                    value = "false";
                }
                else
                {
                    throw Err($"expecting boolean value for flag --{name}, not: {value}");
                }
            }
            else if (value is null)
            {
                throw Err($"missing a value on flag --{name} of {instr}: write --{name}=VALUE");
            }

            set.singles[name] = value;
        }

        return set;
    }

    public string? String(string name) => singles.TryGetValue(name, out var v) ? v : null;

    public bool Bool(string name) => singles.TryGetValue(name, out var v) && v == "true";

    public bool? OptionalBool(string name) => singles.TryGetValue(name, out var v) ? v == "true" : null;

    public IReadOnlyList<string> Strings(string name) => multis.TryGetValue(name, out var v) ? v : [];

    private static DockerfileException Err(string message) => new("", 0, 0, message);
}
