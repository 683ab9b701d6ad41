// Owns: docker/BuildKit-compatible `created_by` strings for image history entries.
using System.Text;

namespace Gantry.Build.Config;

public static class HistoryText
{
    private const string BuildkitSuffix = " # buildkit";

    /// <summary>RUN as BuildKit records it: "RUN |2 A=1 B=2 /bin/sh -c npm install # buildkit" (the |N part only with build args in use).</summary>
    public static string Run(IReadOnlyList<string> shellOrExec, bool execForm, IReadOnlyList<KeyValuePair<string, string>> argsInUse)
    {
        ArgumentNullException.ThrowIfNull(shellOrExec);
        ArgumentNullException.ThrowIfNull(argsInUse);
        var sb = new StringBuilder("RUN ");
        if (argsInUse.Count > 0)
        {
            sb.Append('|').Append(argsInUse.Count).Append(' ');
            foreach (var (k, v) in argsInUse)
            {
                sb.Append(k).Append('=').Append(v).Append(' ');
            }
        }

        sb.Append(execForm ? GoQuoteList(shellOrExec) : string.Join(' ', shellOrExec));
        sb.Append(BuildkitSuffix);
        return sb.ToString();
    }

    public static string Copy(string keyword, string original) => $"{keyword} {original}{BuildkitSuffix}";

    public static string Workdir(string dir) => $"WORKDIR {dir}";

    /// <summary>CMD/ENTRYPOINT: Go's %q of a []string, e.g. CMD ["node" "app.js"].</summary>
    public static string List(string keyword, IReadOnlyList<string>? values) => $"{keyword} {GoQuoteList(values ?? [])}";

    public static string GoQuoteList(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sb = new StringBuilder("[");
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }

            GoQuote(sb, values[i]);
        }

        return sb.Append(']').ToString();
    }

    /// <summary>Go's map[k:v …] print of ExposedPorts/Volumes keys (sorted): "EXPOSE map[8080/tcp:{}]".</summary>
    public static string GoSet(string keyword, IEnumerable<string> keys) => $"{keyword} map[{string.Join(' ', keys.Order(StringComparer.Ordinal).Select(k => k + ":{}"))}]";

    public static void GoQuote(StringBuilder sb, string s)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(s);
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
