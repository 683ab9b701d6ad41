// Owns: one heredoc attached to a RUN/COPY/ADD instruction (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`).
namespace Gantry.Dockerfile.Syntax;

/// <summary>
/// A heredoc body. <see cref="Expand"/> is false when the delimiter was quoted (<c>&lt;&lt;"EOF"</c>), so variables in
/// <see cref="Content"/> must not be expanded; <see cref="Chomp"/> is true for <c>&lt;&lt;-EOF</c> (leading tabs are
/// stripped from the body with <see cref="ChompedContent"/>). <see cref="Content"/> keeps every line ending.
/// </summary>
public sealed record Heredoc(string Name, int FileDescriptor, bool Expand, bool Chomp, string Content)
{
    /// <summary>The content with leading tabs removed from every line when <see cref="Chomp"/> is set.</summary>
    public string ChompedContent => Chomp ? ChompLeadingTabs(Content) : Content;

    private static string ChompLeadingTabs(string src)
    {
        var sb = new System.Text.StringBuilder(src.Length);
        var atLineStart = true;
        foreach (var c in src)
        {
            if (atLineStart && c == '\t')
            {
                continue;
            }

            atLineStart = c == '\n';
            sb.Append(c);
        }

        return sb.ToString();
    }
}
