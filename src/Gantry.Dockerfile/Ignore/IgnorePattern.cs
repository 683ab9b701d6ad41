// Owns: one compiled .dockerignore pattern with moby/patternmatcher's matching rules.
using System.Text;
using System.Text.RegularExpressions;

namespace Gantry.Dockerfile.Ignore;

/// <summary>
/// A cleaned .dockerignore pattern (<see cref="Pattern"/> without the <c>!</c>), matched as moby's patternmatcher does:
/// <c>*</c> and <c>?</c> never cross <c>/</c>, <c>**</c> matches any number of directories, <c>[…]</c> classes,
/// <c>\</c> escapes; a pattern matching a directory matches everything below it.
/// </summary>
public sealed class IgnorePattern
{
    private readonly MatchKind kind;
    private readonly Regex? regex;

    // The longest run of plain characters in a wildcard pattern: any path the regex matches contains it, so a path
    // without it is rejected without running the regex (`**/*.log` against 5,000 `.txt` paths).
    private readonly string requiredLiteral;

    internal IgnorePattern(string pattern, bool exclusion, int line)
    {
        Pattern = pattern;
        IsException = exclusion;
        Line = line;
        (kind, regex) = Compile(pattern);
        requiredLiteral = kind == MatchKind.Regex ? LongestPlainRun(pattern) : string.Empty;
    }

    private enum MatchKind
    {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }

    /// <summary>The cleaned pattern, without a leading <c>!</c>.</summary>
    public string Pattern { get; }

    /// <summary>True for <c>!pattern</c> lines: paths matching it are included again.</summary>
    public bool IsException { get; }

    /// <summary>The 1-based line in the ignore file.</summary>
    public int Line { get; }

    public override string ToString() => IsException ? "!" + Pattern : Pattern;

    /// <summary>Whether <paramref name="path"/> (relative, <c>/</c>-separated, cleaned) matches this pattern itself.</summary>
    public bool Matches(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        switch (kind)
        {
            case MatchKind.Exact:
                return path == Pattern;
            case MatchKind.Prefix:
                return path.StartsWith(Pattern[..^2], StringComparison.Ordinal);
            case MatchKind.Suffix:
                {
                    var suffix = Pattern[2..];
                    if (path.EndsWith(suffix, StringComparison.Ordinal))
                    {
                        return true;
                    }

                    return suffix.Length > 0 && suffix[0] == '/' && path == suffix[1..];
                }

            default:
                return path.Contains(requiredLiteral, StringComparison.Ordinal) && regex!.IsMatch(path);
        }
    }

    /// <summary>The longest stretch of characters that <see cref="Compile"/> emits as literals (no wildcard, class or escape).</summary>
    internal static string LongestPlainRun(string pattern)
    {
        if (pattern.Contains('['))
        {
            return string.Empty; // classes have their own escaping rules ("[]a]"): no shortcut, the regex decides
        }

        var best = (Start: 0, Length: 0);
        var start = 0;
        for (var i = 0; i <= pattern.Length; i++)
        {
            var plain = i < pattern.Length && pattern[i] is not ('*' or '?' or '\\' or ']');
            if (plain)
            {
                continue;
            }

            if (i - start > best.Length)
            {
                best = (start, i - start);
            }

            if (i < pattern.Length && pattern[i] == '\\')
            {
                i++; // the escaped character is not part of a plain run either
            }

            // A '/' right after "**" is swallowed into "(.*/)?", so it is not a literal of the match.
            start = i + 1;
            if (start < pattern.Length && pattern[start] == '/' && i >= 1 && pattern[i] == '*' && pattern[i - 1] == '*')
            {
                start++;
            }
        }

        return best.Length == 0 ? string.Empty : pattern.Substring(best.Start, best.Length);
    }

    private static (MatchKind Kind, Regex? Regex) Compile(string pattern)
    {
        var sb = new StringBuilder("^");
        var kind = MatchKind.Exact;
        for (var i = 0; i < pattern.Length; i++)
        {
            var ch = pattern[i];
            if (ch == '*')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '*')
                {
                    var atStart = i == 0;
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                    {
                        i++;
                    }

                    if (i + 1 >= pattern.Length)
                    {
                        if (kind == MatchKind.Exact)
                        {
                            kind = MatchKind.Prefix;
                        }
                        else
                        {
                            sb.Append(".*");
                            kind = MatchKind.Regex;
                        }
                    }
                    else
                    {
                        sb.Append("(.*/)?");
                        kind = MatchKind.Regex;
                    }

                    if (atStart)
                    {
                        kind = MatchKind.Suffix;
                    }
                }
                else
                {
                    sb.Append("[^/]*");
                    kind = MatchKind.Regex;
                }
            }
            else if (ch == '?')
            {
                sb.Append("[^/]");
                kind = MatchKind.Regex;
            }
            else if (ch == '\\')
            {
                if (i + 1 < pattern.Length)
                {
                    sb.Append(Regex.Escape(pattern[++i].ToString()));
                    kind = MatchKind.Regex;
                }
                else
                {
                    sb.Append(@"\\");
                }
            }
            else if (ch is '[' or ']')
            {
                sb.Append(ch);
                kind = MatchKind.Regex;
            }
            else
            {
                sb.Append(Regex.Escape(ch.ToString()));
            }
        }

        if (kind != MatchKind.Regex)
        {
            return (kind, null);
        }

        sb.Append("(/.*)?$");
        try
        {
            return (kind, new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking));
        }
        catch (ArgumentException ex)
        {
            throw new DockerfileException(".dockerignore", 0, 0, $"invalid pattern \"{pattern}\": {ex.Message}", null, ex);
        }
    }
}
