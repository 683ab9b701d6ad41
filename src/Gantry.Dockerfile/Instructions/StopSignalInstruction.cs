// Owns: STOPSIGNAL.
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Instructions;

/// <summary><c>STOPSIGNAL</c> (expanded).</summary>
public sealed record StopSignalInstruction : Instruction
{
    public required string Signal { get; init; }

    public override string Name => "STOPSIGNAL";

    public override bool ExpandsVariables => true;

    protected override Instruction ExpandCore(IWordExpander expander) => this with { Signal = expander.ExpandWord(Signal) };
}
