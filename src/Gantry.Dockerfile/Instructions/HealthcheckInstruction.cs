// Owns: HEALTHCHECK.
namespace Gantry.Dockerfile.Instructions;

/// <summary><c>HEALTHCHECK [options] CMD …</c> or <c>HEALTHCHECK NONE</c> (not expanded).</summary>
public sealed record HealthcheckInstruction : Instruction
{
    public required HealthcheckSpec Health { get; init; }

    public override string Name => "HEALTHCHECK";
}
