// Owns: LABEL key=value ….
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Instructions;

/// <summary><c>LABEL</c>. Raw until <see cref="Instruction.Expand"/>; always expand before use.</summary>
public sealed record LabelInstruction : Instruction
{
    public required IReadOnlyList<KeyValue> Pairs { get; init; }

    public override string Name => "LABEL";

    public override bool ExpandsVariables => true;

    protected override Instruction ExpandCore(IWordExpander expander) =>
        this with { Pairs = Pairs.Select(p => p with { Key = expander.ExpandWord(p.Key), Value = expander.ExpandWord(p.Value) }).ToList() };
}
