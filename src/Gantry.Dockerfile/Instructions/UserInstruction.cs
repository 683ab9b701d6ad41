// Owns: USER.
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Instructions;

/// <summary><c>USER user[:group]</c> (expanded).</summary>
public sealed record UserInstruction : Instruction
{
    public required string User { get; init; }

    public override string Name => "USER";

    public override bool ExpandsVariables => true;

    protected override Instruction ExpandCore(IWordExpander expander) => this with { User = expander.ExpandWord(User) };
}
