// Owns: MAINTAINER (deprecated).
namespace Gantry.Dockerfile.Instructions;

/// <summary><c>MAINTAINER</c> (deprecated; not expanded). Docker stores it as the image's Author.</summary>
public sealed record MaintainerInstruction : Instruction
{
    public required string Maintainer { get; init; }

    public override string Name => "MAINTAINER";
}
