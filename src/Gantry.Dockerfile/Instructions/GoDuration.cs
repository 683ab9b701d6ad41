// Owns: Go's time.ParseDuration syntax ("30s", "1m30s", "1.5h", "500ms") used by HEALTHCHECK flags.
using System.Globalization;

namespace Gantry.Dockerfile.Instructions;

internal static class GoDuration
{
    public static bool TryParse(string s, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (s.Length == 0)
        {
            return false;
        }

        var neg = false;
        var i = 0;
        if (s[0] is '-' or '+')
        {
            neg = s[0] == '-';
            i++;
        }

        if (s[i..] == "0")
        {
            return true;
        }

        if (i >= s.Length)
        {
            return false;
        }

        decimal totalNs = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (i == start || !decimal.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var us = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }

            decimal unit = s[us..i] switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                _ => -1m,
            };
            if (unit < 0)
            {
                return false;
            }

            totalNs += number * unit;
            if (totalNs > 9_223_372_036_854_775_807m)
            {
                return false;
            }
        }

        var ticks = (long)(totalNs / 100m);
        value = TimeSpan.FromTicks(neg ? -ticks : ticks);
        return true;
    }
}
