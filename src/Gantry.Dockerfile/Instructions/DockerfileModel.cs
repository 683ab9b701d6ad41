// Owns: the typed Dockerfile: meta ARGs (before the first FROM), stages, and the syntax tree they came from.
using Gantry.Dockerfile.Syntax;

namespace Gantry.Dockerfile.Instructions;

/// <summary>
/// A parsed and validated Dockerfile. Start here: <see cref="Parse"/>. Nothing is expanded yet: the builder expands
/// FROM with <see cref="MetaArgs"/> (plus --build-arg) and every other instruction at dispatch with the stage's env.
/// </summary>
public sealed record DockerfileModel(DockerfileAst Ast, IReadOnlyList<ArgInstruction> MetaArgs, IReadOnlyList<Stage> Stages)
{
    /// <summary>Parses and validates <paramref name="text"/>; throws <see cref="DockerfileException"/> on any error.</summary>
    public static DockerfileModel Parse(string text, string fileName = "Dockerfile") =>
        InstructionParser.Build(DockerfileParser.Parse(text, fileName));

    /// <summary>The escape token (<c>\</c> or <c>`</c>) to build the <see cref="Shell.ShellWordExpander"/> with.</summary>
    public char EscapeToken => Ast.EscapeToken;

    /// <summary>The stage named <paramref name="nameOrIndex"/> (case-insensitive) or with that 0-based index, else null.</summary>
    public Stage? FindStage(string nameOrIndex)
    {
        ArgumentNullException.ThrowIfNull(nameOrIndex);
        foreach (var s in Stages)
        {
            if (s.Name is not null && string.Equals(s.Name, nameOrIndex, StringComparison.OrdinalIgnoreCase))
            {
                return s;
            }
        }

        if (int.TryParse(nameOrIndex, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) && i >= 0 && i < Stages.Count)
        {
            return Stages[i];
        }

        return null;
    }
}
