// Owns: mapping signal names and numbers (SIGTERM, TERM, 15) to Linux x86-64/arm64 signal numbers.
using System.Globalization;
using Gantry.Oci;

namespace Gantry.Runtime;

public static class Signals
{
    private static readonly Dictionary<string, int> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ILL"] = 4, ["TRAP"] = 5, ["ABRT"] = 6, ["IOT"] = 6, ["BUS"] = 7, ["FPE"] = 8,
        ["KILL"] = 9, ["USR1"] = 10, ["SEGV"] = 11, ["USR2"] = 12, ["PIPE"] = 13, ["ALRM"] = 14, ["TERM"] = 15,
        ["STKFLT"] = 16, ["CHLD"] = 17, ["CONT"] = 18, ["STOP"] = 19, ["TSTP"] = 20, ["TTIN"] = 21, ["TTOU"] = 22,
        ["URG"] = 23, ["XCPU"] = 24, ["XFSZ"] = 25, ["VTALRM"] = 26, ["PROF"] = 27, ["WINCH"] = 28, ["IO"] = 29,
        ["POLL"] = 29, ["PWR"] = 30, ["SYS"] = 31,
    };

    /// <summary>Parses SIGTERM, TERM or 15 into a signal number.</summary>
    public static int Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 65)
        {
            return n;
        }

        if (t.StartsWith("SIG", StringComparison.OrdinalIgnoreCase))
        {
            t = t[3..];
        }

        if (t.StartsWith("RTMIN+", StringComparison.OrdinalIgnoreCase) && int.TryParse(t[6..], NumberStyles.None, CultureInfo.InvariantCulture, out var r))
        {
            return 34 + r;
        }

        return ByName.TryGetValue(t, out var s) ? s : throw new GantryException($"invalid signal '{text}': use a name such as SIGTERM or a number such as 15");
    }
}
