// Owns: WORKDIR.
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Instructions;

/// <summary><c>WORKDIR path</c> (expanded; relative paths are relative to the previous WORKDIR).</summary>
public sealed record WorkdirInstruction : Instruction
{
    public required string Path { get; init; }

    public override string Name => "WORKDIR";

    public override bool ExpandsVariables => true;

    protected override Instruction ExpandCore(IWordExpander expander) => this with { Path = expander.ExpandWord(Path) };
}
