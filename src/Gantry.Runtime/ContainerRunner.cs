// Owns: the foreground API (builder RUN steps, one-off runs): run a process in a container over a given rootfs and return its exit code.
using System.Security.Cryptography;

namespace Gantry.Runtime;

public static class ContainerRunner
{
    private static readonly Lazy<OciRuntime> DefaultRuntime = new(() => OciRuntime.Detect(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Runs <paramref name="spec"/> in a new container with crun/runc (detected from PATH or $GANTRY_RUNTIME), copying its stdout and
    /// stderr to the given streams and stdin from <paramref name="stdin"/> (null: /dev/null). Returns the exit code (128+N when killed
    /// by signal N). Nothing persists after it returns: no runtime state, no bundle, no network namespace, no mount-point stubs in the
    /// rootfs. Cancelling kills the container. A missing command throws <see cref="CommandNotFoundException"/> (ExitCode 127).
    /// </summary>
    public static Task<int> RunAsync(RunSpec spec, Stream? stdin, Stream stdout, Stream stderr, CancellationToken cancellationToken) =>
        RunAsync(DefaultRuntime.Value, spec, stdin, stdout, stderr, cancellationToken);

    /// <inheritdoc cref="RunAsync(RunSpec, Stream?, Stream, Stream, CancellationToken)"/>
    public static async Task<int> RunAsync(OciRuntime runtime, RunSpec spec, Stream? stdin, Stream stdout, Stream stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var id = NewId();
        var session = await ContainerSession.PrepareAsync(runtime, id, spec, bundleDir: null, removeMountStubs: true, cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            return await session.RunAsync(stdin, stdout, stderr, onStarted: null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A new 64-hex-digit container ID.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
