// Owns: reading the exec-form JSON array exactly as Go's json.Decoder would (first value only, strings only).
using System.Globalization;
using System.Text;

namespace Gantry.Dockerfile.Syntax;

internal static class JsonArray
{
    public enum Outcome
    {
        /// <summary>Not JSON, or JSON that is not an array: BuildKit falls back to the shell form.</summary>
        NotJson,

        /// <summary>A JSON array of strings.</summary>
        Strings,

        /// <summary>A JSON array with a non-string element: an error in BuildKit.</summary>
        NonString,
    }

    public static Outcome TryParse(string text, out List<string> values)
    {
        values = [];
        var p = 0;
        SkipWs(text, ref p);
        if (p >= text.Length || text[p] != '[')
        {
            return Outcome.NotJson;
        }

        try
        {
            var allStrings = true;
            p++;
            SkipWs(text, ref p);
            if (p < text.Length && text[p] == ']')
            {
                return Outcome.Strings;
            }

            while (true)
            {
                SkipWs(text, ref p);
                if (p < text.Length && text[p] == '"')
                {
                    values.Add(ReadString(text, ref p));
                }
                else
                {
                    allStrings = false;
                    SkipValue(text, ref p, 0);
                }

                SkipWs(text, ref p);
                if (p >= text.Length)
                {
                    return Outcome.NotJson;
                }

                if (text[p] == ',')
                {
                    p++;
                    continue;
                }

                if (text[p] == ']')
                {
                    return allStrings ? Outcome.Strings : Outcome.NonString;
                }

                return Outcome.NotJson;
            }
        }
        catch (FormatException)
        {
            values = [];
            return Outcome.NotJson;
        }
    }

    private static void SkipWs(string s, ref int p)
    {
        while (p < s.Length && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r'))
        {
            p++;
        }
    }

    private static string ReadString(string s, ref int p)
    {
        p++; // opening quote
        var sb = new StringBuilder();
        while (true)
        {
            if (p >= s.Length)
            {
                throw new FormatException("unterminated string");
            }

            var c = s[p++];
            if (c == '"')
            {
                return sb.ToString();
            }

            if (c < 0x20)
            {
                throw new FormatException("control character in string");
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (p >= s.Length)
            {
                throw new FormatException("unterminated escape");
            }

            var e = s[p++];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    {
                        var u = ReadHex4(s, ref p);
                        if (char.IsHighSurrogate(u) && p + 6 <= s.Length && s[p] == '\\' && s[p + 1] == 'u')
                        {
                            var save = p;
                            p += 2;
                            var low = ReadHex4(s, ref p);
                            if (char.IsLowSurrogate(low))
                            {
                                sb.Append(u).Append(low);
                                break;
                            }

                            p = save;
                        }

                        sb.Append(char.IsSurrogate(u) ? '\uFFFD' : u);
                        break;
                    }

                default:
                    throw new FormatException("bad escape");
            }
        }
    }

    private static char ReadHex4(string s, ref int p)
    {
        if (p + 4 > s.Length || !int.TryParse(s.AsSpan(p, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v))
        {
            throw new FormatException("bad \\u escape");
        }

        p += 4;
        return (char)v;
    }

    private static void SkipValue(string s, ref int p, int depth)
    {
        if (depth > 10000)
        {
            throw new FormatException("nesting too deep");
        }

        SkipWs(s, ref p);
        if (p >= s.Length)
        {
            throw new FormatException("unexpected end");
        }

        var c = s[p];
        if (c == '"')
        {
            ReadString(s, ref p);
            return;
        }

        if (c == '[' || c == '{')
        {
            var close = c == '[' ? ']' : '}';
            p++;
            SkipWs(s, ref p);
            if (p < s.Length && s[p] == close)
            {
                p++;
                return;
            }

            while (true)
            {
                if (close == '}')
                {
                    SkipWs(s, ref p);
                    if (p >= s.Length || s[p] != '"')
                    {
                        throw new FormatException("object key");
                    }

                    ReadString(s, ref p);
                    SkipWs(s, ref p);
                    if (p >= s.Length || s[p] != ':')
                    {
                        throw new FormatException("colon");
                    }

                    p++;
                }

                SkipValue(s, ref p, depth + 1);
                SkipWs(s, ref p);
                if (p >= s.Length)
                {
                    throw new FormatException("unexpected end");
                }

                if (s[p] == ',')
                {
                    p++;
                    continue;
                }

                if (s[p] == close)
                {
                    p++;
                    return;
                }

                throw new FormatException("separator");
            }
        }

        foreach (var lit in (string[])["true", "false", "null"])
        {
            if (string.CompareOrdinal(s, p, lit, 0, lit.Length) == 0)
            {
                p += lit.Length;
                return;
            }
        }

        // number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        var start = p;
        if (p < s.Length && s[p] == '-')
        {
            p++;
        }

        if (p < s.Length && s[p] == '0')
        {
            p++;
        }
        else if (p < s.Length && s[p] is >= '1' and <= '9')
        {
            while (p < s.Length && char.IsAsciiDigit(s[p]))
            {
                p++;
            }
        }
        else
        {
            throw new FormatException("invalid value");
        }

        if (p < s.Length && s[p] == '.')
        {
            p++;
            var d = p;
            while (p < s.Length && char.IsAsciiDigit(s[p]))
            {
                p++;
            }

            if (p == d)
            {
                throw new FormatException("number");
            }
        }

        if (p < s.Length && (s[p] == 'e' || s[p] == 'E'))
        {
            p++;
            if (p < s.Length && (s[p] == '+' || s[p] == '-'))
            {
                p++;
            }

            var d = p;
            while (p < s.Length && char.IsAsciiDigit(s[p]))
            {
                p++;
            }

            if (p == d)
            {
                throw new FormatException("number");
            }
        }

        if (p == start)
        {
            throw new FormatException("invalid value");
        }
    }
}
