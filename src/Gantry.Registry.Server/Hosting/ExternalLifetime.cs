// Owns: the host lifetime that leaves process signals alone (the embedding program decides when the registry stops).
using Microsoft.Extensions.Hosting;

namespace Gantry.Registry.Server.Hosting;

/// <summary>
/// Replaces the generic host's ConsoleLifetime, which would register its own SIGTERM/SIGINT handlers in every process
/// that hosts a registry (tests host several) and race the CLI's handlers. <see cref="RegistryServer.StopAsync"/> is
/// the only way the registry stops.
/// </summary>
internal sealed class ExternalLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
