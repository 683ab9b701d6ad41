// Owns: the immutable parse result: instructions, directives, escape token, warnings, and the BuildKit AST dump.
using System.Text;

namespace Gantry.Dockerfile.Syntax;

/// <summary>The syntax tree of a whole Dockerfile. Nothing is expanded or validated beyond syntax.</summary>
public sealed record DockerfileAst(
    string FileName,
    IReadOnlyList<InstructionNode> Instructions,
    char EscapeToken,
    IReadOnlyList<ParserDirective> Directives,
    IReadOnlyList<ParseWarning> Warnings,
    SourceRange Range,
    IReadOnlyList<string> Lines)
{
    /// <summary>The value of a parser directive (<c>syntax</c>, <c>escape</c>, <c>check</c>), or null.</summary>
    public string? Directive(string name)
    {
        foreach (var d in Directives)
        {
            if (string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return d.Value;
            }
        }

        return null;
    }

    /// <summary>BuildKit's <c>Node.Dump()</c> of the root: one <c>(instruction …)</c> per line, no trailing newline.</summary>
    public string Dump()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < Instructions.Count; i++)
        {
            if (i > 0)
            {
                sb.Append('\n');
            }

            sb.Append('(');
            AstDumper.DumpInstruction(sb, Instructions[i]);
            sb.Append(')');
        }

        return sb.ToString();
    }
}
