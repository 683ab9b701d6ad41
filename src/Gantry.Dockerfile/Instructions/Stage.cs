// Owns: one build stage: its FROM and the instructions up to the next FROM.
namespace Gantry.Dockerfile.Instructions;

/// <summary>A build stage. <see cref="Index"/> is 0-based; <see cref="Name"/> is the lower-cased <c>AS</c> name or null.</summary>
public sealed record Stage(int Index, FromInstruction From, IReadOnlyList<Instruction> Instructions)
{
    public string? Name => From.StageName;

    public string BaseName => From.BaseName;

    public string? Platform => From.Platform;

    /// <summary>From the FROM line to the last instruction of the stage.</summary>
    public SourceRange Range => new(From.Range.StartLine, Instructions.Count > 0 ? Instructions[^1].Range.EndLine : From.Range.EndLine);
}
