// Owns: ONBUILD trigger.
namespace Gantry.Dockerfile.Instructions;

/// <summary>
/// <c>ONBUILD</c>. <see cref="Expression"/> is the trigger text as it goes into the image config's <c>OnBuild</c>
/// list; <see cref="Trigger"/> is the trigger parsed and validated (not expanded: it runs in a later build).
/// </summary>
public sealed record OnbuildInstruction : Instruction
{
    public required string Expression { get; init; }

    public required Instruction Trigger { get; init; }

    public override string Name => "ONBUILD";
}
