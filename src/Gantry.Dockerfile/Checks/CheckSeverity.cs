// Owns: how serious a build-check finding is.
namespace Gantry.Dockerfile.Checks;

/// <summary>Warnings do not fail <c>gantry dockerfile check</c>; errors do (as do warnings under <c># check=error=true</c>).</summary>
public enum CheckSeverity
{
    Warning,
    Error,
}
