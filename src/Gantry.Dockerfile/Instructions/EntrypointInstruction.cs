// Owns: ENTRYPOINT.
namespace Gantry.Dockerfile.Instructions;

/// <summary><c>ENTRYPOINT</c> (not expanded).</summary>
public sealed record EntrypointInstruction : Instruction
{
    public required CommandLine Command { get; init; }

    public override string Name => "ENTRYPOINT";
}
