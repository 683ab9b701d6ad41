// Owns: the command of RUN/CMD/ENTRYPOINT in exec or shell form, with heredoc files.
using Gantry.Dockerfile.Syntax;

namespace Gantry.Dockerfile.Instructions;

/// <summary>
/// A command as written. Exec form: <see cref="PrependShell"/> is false and <see cref="Args"/> are the JSON elements.
/// Shell form: <see cref="PrependShell"/> is true and <see cref="Args"/> holds one element, the command text, which the
/// builder runs as <c>SHELL + [text]</c> (default <c>/bin/sh -c</c>). <see cref="Heredocs"/> are the <c>&lt;&lt;EOF</c>
/// bodies attached to a shell-form RUN.
/// </summary>
public sealed record CommandLine(IReadOnlyList<string> Args, bool PrependShell, IReadOnlyList<Heredoc> Heredocs)
{
    public static CommandLine Empty { get; } = new([], false, []);

    /// <summary>The command as a single display string (for history and errors).</summary>
    public override string ToString() => PrependShell ? string.Join(' ', Args) : "[" + string.Join(", ", Args.Select(a => "\"" + a + "\"")) + "]";
}
