// Owns: CMD.
namespace Gantry.Dockerfile.Instructions;

/// <summary><c>CMD</c>: the default command (not expanded).</summary>
public sealed record CmdInstruction : Instruction
{
    public required CommandLine Command { get; init; }

    public override string Name => "CMD";
}
