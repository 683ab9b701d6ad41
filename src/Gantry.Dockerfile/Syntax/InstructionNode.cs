// Owns: one instruction in the syntax tree: keyword as written, raw flags, typed arguments, heredocs, source range.
namespace Gantry.Dockerfile.Syntax;

/// <summary>
/// One instruction as written. <see cref="Keyword"/> keeps the source casing (<c>From</c>), <see cref="Name"/> is
/// lower-case. <see cref="Flags"/> are the leading <c>--x=y</c> words with quotes removed, not yet validated.
/// <see cref="Original"/> is the logical line (continuations joined, comment lines dropped).
/// </summary>
public sealed record InstructionNode(
    string Keyword,
    IReadOnlyList<string> Flags,
    NodeArguments Arguments,
    string Original,
    SourceRange Range,
    IReadOnlyList<Heredoc> Heredocs,
    IReadOnlyList<string> Comments)
{
    /// <summary>The lower-case instruction name (<c>from</c>, <c>run</c>, …).</summary>
    public string Name => Keyword.ToLowerInvariant();

    /// <summary>True when the arguments were given in exec (JSON array) form.</summary>
    public bool IsJson => Arguments switch
    {
        WordArguments w => w.IsJson,
        HealthcheckArguments h => h.Command?.IsJson ?? false,
        _ => false,
    };

    /// <summary>The argument strings as BuildKit's node chain holds them.</summary>
    public IReadOnlyList<string> Args => Arguments.Flatten();
}
