// Owns: EXPOSE port[/proto] ….
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Instructions;

/// <summary><c>EXPOSE</c>. Expansion splits words (<c>EXPOSE $PORTS</c> may give several ports).</summary>
public sealed record ExposeInstruction : Instruction
{
    public required IReadOnlyList<string> Ports { get; init; }

    public override string Name => "EXPOSE";

    public override bool ExpandsVariables => true;

    protected override Instruction ExpandCore(IWordExpander expander) =>
        this with { Ports = Ports.SelectMany(expander.ExpandWords).ToList() };
}
