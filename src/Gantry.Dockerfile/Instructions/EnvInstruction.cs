// Owns: ENV key=value … (and the legacy ENV key value).
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Instructions;

/// <summary>
/// <c>ENV</c>. Keys and values are raw (quotes kept) until <see cref="Instruction.Expand"/>; always expand before use.
/// Each pair is expanded with the environment before this instruction (so <c>ENV a=1 b=$a</c> sees the old a, as Docker).
/// </summary>
public sealed record EnvInstruction : Instruction
{
    public required IReadOnlyList<KeyValue> Pairs { get; init; }

    public override string Name => "ENV";

    public override bool ExpandsVariables => true;

    protected override Instruction ExpandCore(IWordExpander expander) =>
        this with { Pairs = Pairs.Select(p => p with { Key = expander.ExpandWord(p.Key), Value = expander.ExpandWord(p.Value) }).ToList() };
}
