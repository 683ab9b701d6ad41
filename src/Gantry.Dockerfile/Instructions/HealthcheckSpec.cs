// Owns: the parsed HEALTHCHECK settings, shaped like the image config's Healthcheck.
namespace Gantry.Dockerfile.Instructions;

/// <summary>
/// HEALTHCHECK as it goes into the image config: <see cref="Test"/> is <c>["NONE"]</c>, <c>["CMD", args…]</c> (exec form)
/// or <c>["CMD-SHELL", text]</c> (shell form). Durations are null when not given (inherit).
/// </summary>
public sealed record HealthcheckSpec(
    IReadOnlyList<string> Test,
    TimeSpan? Interval,
    TimeSpan? Timeout,
    TimeSpan? StartPeriod,
    TimeSpan? StartInterval,
    int? Retries);
