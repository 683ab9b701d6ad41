// Owns: BuildKit's AST dump format (Node.Dump) and Go's strconv.Quote, byte for byte.
using System.Globalization;
using System.Text;

namespace Gantry.Dockerfile.Syntax;

internal static class AstDumper
{
    public static void DumpInstruction(StringBuilder sb, InstructionNode node)
    {
        var start = sb.Length;
        sb.Append(node.Keyword.ToLowerInvariant());
        if (node.Flags.Count > 0)
        {
            sb.Append(" [");
            for (var i = 0; i < node.Flags.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(' ');
                }

                GoQuote(sb, node.Flags[i]);
            }

            sb.Append(']');
        }

        if (node.Arguments is SubInstructionArguments sub)
        {
            sb.Append(' ');
            sb.Append('(');
            DumpInstruction(sb, sub.Trigger);
            sb.Append(')');
        }
        else
        {
            foreach (var arg in node.Arguments.Flatten())
            {
                sb.Append(' ');
                GoQuote(sb, arg);
            }
        }

        // Go's Dump trims surrounding whitespace of the whole string (only matters for an empty keyword).
        var text = sb.ToString(start, sb.Length - start);
        var trimmed = text.Trim();
        if (trimmed.Length != text.Length)
        {
            sb.Length = start;
            sb.Append(trimmed);
        }
    }

    /// <summary>Go's strconv.Quote for a string.</summary>
    public static string GoQuote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        GoQuote(sb, s);
        return sb.ToString();
    }

    public static void GoQuote(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            int r = s[i];
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                r = char.ConvertToUtf32(s[i], s[i + 1]);
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                sb.Append("\\ufffd");
                continue;
            }

            switch (r)
            {
                case '"': sb.Append("\\\""); continue;
                case '\\': sb.Append("\\\\"); continue;
                case '\a': sb.Append("\\a"); continue;
                case '\b': sb.Append("\\b"); continue;
                case '\f': sb.Append("\\f"); continue;
                case '\n': sb.Append("\\n"); continue;
                case '\r': sb.Append("\\r"); continue;
                case '\t': sb.Append("\\t"); continue;
                case '\v': sb.Append("\\v"); continue;
            }

            if (r < 0x80)
            {
                if (r < 0x20 || r == 0x7f)
                {
                    sb.Append("\\x").Append(r.ToString("x2", CultureInfo.InvariantCulture));
                }
                else
                {
                    sb.Append((char)r);
                }

                continue;
            }

            if (IsGoPrint(r))
            {
                sb.Append(char.ConvertFromUtf32(r));
            }
            else if (r < 0x10000)
            {
                sb.Append("\\u").Append(r.ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("\\U").Append(r.ToString("x8", CultureInfo.InvariantCulture));
            }
        }

        sb.Append('"');
    }

    // Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols (and ASCII space).
    private static bool IsGoPrint(int r)
    {
        if (r == 0xfffd)
        {
            return true;
        }

        var cat = CharUnicodeInfo.GetUnicodeCategory(r);
        return cat switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
                or UnicodeCategory.OtherNotAssigned or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator => false,
            _ => true,
        };
    }
}
