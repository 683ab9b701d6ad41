// Owns: reading `gantry build`'s BuildKit-style plain progress ("#N [i/n] INSTR", "#N CACHED", "#N DONE 1.2s") for assertions.
using System.Text.RegularExpressions;

namespace Gantry.Acceptance.Tests;

/// <summary>The steps of one build's plain progress output and which of them were cached or re-ran.</summary>
public sealed partial class BuildLog
{
    private readonly Dictionary<int, string> _titles = [];
    private readonly HashSet<int> _cached = [];
    private readonly HashSet<int> _done = [];

    public BuildLog(string output)
    {
        Text = output;
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var m = StepTitle().Match(line);
            if (m.Success)
            {
                _titles.TryAdd(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value.Trim());
                continue;
            }

            m = StepState().Match(line);
            if (m.Success)
            {
                var n = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                (m.Groups[2].Value == "CACHED" ? _cached : _done).Add(n);
            }
        }
    }

    public string Text { get; }

    /// <summary>The instruction steps ("[2/5] WORKDIR /app" → "WORKDIR /app"), FROM excluded.</summary>
    public IEnumerable<(int Number, string Instruction)> Steps =>
        _titles.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)).Where(s => !s.Item2.StartsWith("FROM", StringComparison.OrdinalIgnoreCase));

    public bool IsCached(string instructionPrefix) => _cached.Contains(Find(instructionPrefix));

    public bool Ran(string instructionPrefix)
    {
        var n = Find(instructionPrefix);
        return _done.Contains(n) && !_cached.Contains(n);
    }

    public IEnumerable<string> NotCached => Steps.Where(s => !_cached.Contains(s.Number)).Select(s => s.Instruction);

    private int Find(string instructionPrefix)
    {
        foreach (var (n, instruction) in Steps)
        {
            if (instruction.StartsWith(instructionPrefix, StringComparison.Ordinal))
            {
                return n;
            }
        }

        Assert.Fail($"no build step '{instructionPrefix}' in the build output:\n{Text}");
        return -1;
    }

    [GeneratedRegex(@"^#(\d+) \[[^\]]*\d+/\d+\] (.+)$")]
    private static partial Regex StepTitle();

    [GeneratedRegex(@"^#(\d+) (CACHED|DONE\b.*)$")]
    private static partial Regex StepState();
}
