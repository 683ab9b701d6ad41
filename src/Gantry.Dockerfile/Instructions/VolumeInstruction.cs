// Owns: VOLUME.
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Instructions;

/// <summary><c>VOLUME</c> (expanded).</summary>
public sealed record VolumeInstruction : Instruction
{
    public required IReadOnlyList<string> Volumes { get; init; }

    public override string Name => "VOLUME";

    public override bool ExpandsVariables => true;

    protected override Instruction ExpandCore(IWordExpander expander) => this with { Volumes = ExpandAll(expander, Volumes) };
}
