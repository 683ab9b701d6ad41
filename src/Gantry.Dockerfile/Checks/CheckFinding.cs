// Owns: one finding of the build checks: rule, severity, lines, message.
using System.Globalization;

namespace Gantry.Dockerfile.Checks;

/// <summary>A build-check result. <see cref="Rule"/> is BuildKit's rule name (e.g. <c>JSONArgsRecommended</c>), or
/// <c>Syntax</c> for an instruction that does not parse.</summary>
public sealed record CheckFinding(string Rule, CheckSeverity Severity, SourceRange Range, string Message)
{
    /// <summary>The documentation page of the rule, for BuildKit's rules.</summary>
    public string? Url => Rule == "Syntax" ? null : "https://docs.docker.com/go/dockerfile/rule/" + Kebab(Rule) + "/";

    /// <summary><c>FILE:LINE: warning: Rule: message</c>.</summary>
    public string Format(string fileName) =>
        string.Create(CultureInfo.InvariantCulture, $"{fileName}:{Range.StartLine}: {(Severity == CheckSeverity.Error ? "error" : "warning")}: {Rule}: {Message}");

    private static string Kebab(string rule)
    {
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < rule.Length; i++)
        {
            var c = rule[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(rule[i - 1]) || (i + 1 < rule.Length && char.IsLower(rule[i + 1]))))
            {
                sb.Append('-');
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }
}
