// Owns: Go filepath.Match semantics (*, ?, [...], \ escapes) for COPY/ADD source patterns, one path segment at a time.
namespace Gantry.Build.Context;

public static class GlobMatcher
{
    public static bool HasWildcards(string pattern) => pattern.AsSpan().IndexOfAny("*?[\\") >= 0;

    /// <summary>True when a '/'-separated path matches a '/'-separated pattern segment by segment ('*' never crosses '/').</summary>
    public static bool Match(string pattern, string path)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(path);
        var ps = pattern.Split('/');
        var ns = path.Split('/');
        if (ps.Length != ns.Length)
        {
            return false;
        }

        for (var i = 0; i < ps.Length; i++)
        {
            if (!MatchSegment(ps[i], 0, ns[i], 0))
            {
                return false;
            }
        }

        return true;
    }

    private static bool MatchSegment(string p, int pi, string s, int si)
    {
        while (pi < p.Length)
        {
            var c = p[pi];
            switch (c)
            {
                case '*':
                    while (pi < p.Length && p[pi] == '*')
                    {
                        pi++;
                    }

                    if (pi == p.Length)
                    {
                        return true;
                    }

                    for (var k = si; k <= s.Length; k++)
                    {
                        if (MatchSegment(p, pi, s, k))
                        {
                            return true;
                        }
                    }

                    return false;
                case '?':
                    if (si >= s.Length)
                    {
                        return false;
                    }

                    pi++;
                    si++;
                    break;
                case '[':
                    if (si >= s.Length)
                    {
                        return false;
                    }

                    var end = p.IndexOf(']', pi + 1);
                    if (end < 0)
                    {
                        return false;
                    }

                    var cls = p.AsSpan(pi + 1, end - pi - 1);
                    var negate = cls.Length > 0 && cls[0] == '^';
                    if (negate)
                    {
                        cls = cls[1..];
                    }

                    var matched = false;
                    for (var k = 0; k < cls.Length; k++)
                    {
                        var lo = cls[k];
                        if (lo == '\\' && k + 1 < cls.Length)
                        {
                            lo = cls[++k];
                        }

                        var hi = lo;
                        if (k + 2 < cls.Length && cls[k + 1] == '-')
                        {
                            hi = cls[k + 2];
                            k += 2;
                        }

                        if (s[si] >= lo && s[si] <= hi)
                        {
                            matched = true;
                        }
                    }

                    if (matched == negate)
                    {
                        return false;
                    }

                    pi = end + 1;
                    si++;
                    break;
                case '\\' when pi + 1 < p.Length:
                    if (si >= s.Length || s[si] != p[pi + 1])
                    {
                        return false;
                    }

                    pi += 2;
                    si++;
                    break;
                default:
                    if (si >= s.Length || s[si] != c)
                    {
                        return false;
                    }

                    pi++;
                    si++;
                    break;
            }
        }

        return si == s.Length;
    }
}
