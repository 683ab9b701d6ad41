// Owns: SHELL.
namespace Gantry.Dockerfile.Instructions;

/// <summary><c>SHELL ["exe", "args"…]</c> (JSON form only; not expanded).</summary>
public sealed record ShellInstruction : Instruction
{
    public required IReadOnlyList<string> Shell { get; init; }

    public override string Name => "SHELL";
}
