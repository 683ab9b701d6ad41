// Owns: the base of the typed instruction records and the expansion contract the builder calls at dispatch.
using Gantry.Dockerfile.Shell;
using Gantry.Dockerfile.Syntax;

namespace Gantry.Dockerfile.Instructions;

/// <summary>
/// A typed, validated Dockerfile instruction. Fields hold the text as written (quotes and <c>$VARS</c> intact where
/// Docker expands them): the builder calls <see cref="Expand"/> at dispatch with the stage's environment (ARGs then
/// ENVs in effect at that point) to get a copy with every expandable field processed. Instructions Docker does not
/// expand (RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK/MAINTAINER/ONBUILD) return themselves.
/// </summary>
public abstract record Instruction
{
    /// <summary>The lines this instruction spans (1-based, inclusive).</summary>
    public required SourceRange Range { get; init; }

    /// <summary>The syntax node the instruction was built from (keyword casing, raw flags, original text).</summary>
    public required InstructionNode Node { get; init; }

    /// <summary>The upper-case instruction name (<c>RUN</c>, <c>COPY</c>, …).</summary>
    public abstract string Name { get; }

    /// <summary>True when Docker expands variables in some field of this instruction (see <see cref="Expand"/>).</summary>
    public virtual bool ExpandsVariables => false;

    /// <summary>The logical source line (continuations joined), for history entries and error messages.</summary>
    public string Original => Node.Original;

    /// <summary>
    /// Returns a copy with the fields Docker expands replaced by their expansion (quotes and escapes removed).
    /// Throws <see cref="DockerfileException"/> located at this instruction on a bad substitution.
    /// </summary>
    public Instruction Expand(IWordExpander expander) => Expand(expander, "Dockerfile");

    /// <summary>
    /// <see cref="Expand(IWordExpander)"/> with the Dockerfile's name for error messages (<c>app.Dockerfile:3: …</c>).
    /// </summary>
    public Instruction Expand(IWordExpander expander, string fileName)
    {
        ArgumentNullException.ThrowIfNull(expander);
        ArgumentNullException.ThrowIfNull(fileName);
        if (!ExpandsVariables)
        {
            return this;
        }

        try
        {
            return ExpandCore(expander);
        }
        catch (DockerfileException ex) when (ex.StartLine == 0)
        {
            throw ex.At(fileName, Range, null, Node.Original);
        }
    }

    /// <summary>Expands the fields; only called when <see cref="ExpandsVariables"/> is true.</summary>
    protected virtual Instruction ExpandCore(IWordExpander expander) => this;

    /// <summary>Expands each element of a list.</summary>
    protected static IReadOnlyList<string> ExpandAll(IWordExpander expander, IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(expander);
        ArgumentNullException.ThrowIfNull(words);
        var list = new string[words.Count];
        for (var i = 0; i < words.Count; i++)
        {
            list[i] = expander.ExpandWord(words[i]);
        }

        return list;
    }

    /// <summary>Expands an optional value.</summary>
    protected static string? ExpandOptional(IWordExpander expander, string? word) =>
        word is null ? null : expander?.ExpandWord(word);
}
