// Owns: ARG name[=default] ….
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Instructions;

/// <summary><c>ARG</c>. Names and defaults are expanded at dispatch (defaults keep quotes until then).</summary>
public sealed record ArgInstruction : Instruction
{
    public required IReadOnlyList<ArgDefinition> Args { get; init; }

    public override string Name => "ARG";

    public override bool ExpandsVariables => true;

    protected override Instruction ExpandCore(IWordExpander expander) =>
        this with { Args = Args.Select(a => new ArgDefinition(expander.ExpandWord(a.Name), ExpandOptional(expander, a.Default))).ToList() };
}
