// Owns: shell glob patterns used by ${v#p} ${v%p} ${v/p/r}: *, ?, [class], escaped literals; prefix/suffix/replace.
using System.Text;

namespace Gantry.Dockerfile.Shell;

internal sealed class ShellPattern
{
    private readonly List<Token> tokens;

    private ShellPattern(List<Token> tokens)
    {
        this.tokens = tokens;
    }

    private enum Kind
    {
        Literal,
        Any,
        Star,
        Class,
    }

    public static ShellPattern Compile(string pattern, char escape)
    {
        var list = new List<Token>();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == escape && i + 1 < pattern.Length)
            {
                list.Add(new Token(Kind.Literal, pattern[++i], null, false));
            }
            else if (c == '*')
            {
                if (list.Count == 0 || list[^1].Kind != Kind.Star)
                {
                    list.Add(new Token(Kind.Star, '\0', null, false));
                }
            }
            else if (c == '?')
            {
                list.Add(new Token(Kind.Any, '\0', null, false));
            }
            else if (c == '[' && TryParseClass(pattern, i, escape, out var set, out var negate, out var end))
            {
                list.Add(new Token(Kind.Class, '\0', set, negate));
                i = end;
            }
            else
            {
                list.Add(new Token(Kind.Literal, c, null, false));
            }
        }

        return new ShellPattern(list);
    }

    public string TrimPrefix(string value, bool greedy)
    {
        if (greedy)
        {
            for (var i = value.Length; i >= 0; i--)
            {
                if (Matches(value, 0, i))
                {
                    return value[i..];
                }
            }
        }
        else
        {
            for (var i = 0; i <= value.Length; i++)
            {
                if (Matches(value, 0, i))
                {
                    return value[i..];
                }
            }
        }

        return value;
    }

    public string TrimSuffix(string value, bool greedy)
    {
        if (greedy)
        {
            for (var i = 0; i <= value.Length; i++)
            {
                if (Matches(value, i, value.Length))
                {
                    return value[..i];
                }
            }
        }
        else
        {
            for (var i = value.Length; i >= 0; i--)
            {
                if (Matches(value, i, value.Length))
                {
                    return value[..i];
                }
            }
        }

        return value;
    }

    public string Replace(string value, string replacement, bool all)
    {
        if (tokens.Count == 0)
        {
            return value;
        }

        var sb = new StringBuilder();
        var pos = 0;
        var i = 0;
        while (i <= value.Length)
        {
            var end = -1;
            for (var j = value.Length; j >= i; j--)
            {
                if (j > i && Matches(value, i, j))
                {
                    end = j;
                    break;
                }
            }

            if (end < 0)
            {
                i++;
                continue;
            }

            sb.Append(value, pos, i - pos).Append(replacement);
            pos = end;
            i = end;
            if (!all)
            {
                break;
            }
        }

        if (pos == 0 && sb.Length == 0)
        {
            return value;
        }

        sb.Append(value, pos, value.Length - pos);
        return sb.ToString();
    }

    // Whether the whole pattern matches value[start..end] (iterative glob matching with star backtracking).
    private bool Matches(string value, int start, int end)
    {
        int t = 0, s = start, starT = -1, starS = -1;
        while (s < end)
        {
            if (t < tokens.Count && tokens[t].Kind != Kind.Star && tokens[t].Matches(value[s]))
            {
                t++;
                s++;
            }
            else if (t < tokens.Count && tokens[t].Kind == Kind.Star)
            {
                starT = t++;
                starS = s;
            }
            else if (starT >= 0)
            {
                t = starT + 1;
                s = ++starS;
            }
            else
            {
                return false;
            }
        }

        while (t < tokens.Count && tokens[t].Kind == Kind.Star)
        {
            t++;
        }

        return t == tokens.Count;
    }

    private static bool TryParseClass(string p, int open, char escape, out List<(char Lo, char Hi)> set, out bool negate, out int end)
    {
        set = [];
        negate = false;
        end = -1;
        var i = open + 1;
        if (i < p.Length && (p[i] == '!' || p[i] == '^'))
        {
            negate = true;
            i++;
        }

        var first = true;
        while (i < p.Length)
        {
            var c = p[i];
            if (c == ']' && !first)
            {
                end = i;
                return true;
            }

            first = false;
            if (c == escape && i + 1 < p.Length)
            {
                c = p[++i];
            }

            if (i + 2 < p.Length && p[i + 1] == '-' && p[i + 2] != ']')
            {
                var hi = p[i + 2];
                var k = i + 2;
                if (hi == escape && k + 1 < p.Length)
                {
                    hi = p[++k];
                }

                set.Add((c, hi));
                i = k + 1;
                continue;
            }

            set.Add((c, c));
            i++;
        }

        return false;
    }

    private readonly record struct Token(Kind Kind, char Char, List<(char Lo, char Hi)>? Set, bool Negate)
    {
        public bool Matches(char c)
        {
            switch (Kind)
            {
                case Kind.Literal:
                    return c == Char;
                case Kind.Any:
                    return true;
                case Kind.Class:
                    var hit = false;
                    foreach (var (lo, hi) in Set!)
                    {
                        if (c >= lo && c <= hi)
                        {
                            hit = true;
                            break;
                        }
                    }

                    return hit != Negate;
                default:
                    return false;
            }
        }
    }
}
