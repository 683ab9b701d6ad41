// Owns: FROM [--platform=…] image [AS name].
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Instructions;

/// <summary>
/// <c>FROM [--platform=P] BASE [AS NAME]</c>. <see cref="StageName"/> is lower-cased (null when unnamed).
/// Expand with the meta ARGs (ARGs before the first FROM) only: BASE and --platform are expanded, the name is not.
/// </summary>
public sealed record FromInstruction : Instruction
{
    public required string BaseName { get; init; }

    public string? StageName { get; init; }

    /// <summary>The stage name as written (for StageNameCasing).</summary>
    public string? StageNameAsWritten { get; init; }

    /// <summary>The <c>AS</c> keyword as written (for FromAsCasing), or null.</summary>
    public string? AsKeyword { get; init; }

    public string? Platform { get; init; }

    public override string Name => "FROM";

    public override bool ExpandsVariables => true;

    protected override Instruction ExpandCore(IWordExpander expander) =>
        this with { BaseName = expander.ExpandWord(BaseName), Platform = ExpandOptional(expander, Platform) };
}
