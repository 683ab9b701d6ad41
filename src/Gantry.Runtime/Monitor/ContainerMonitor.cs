// Owns: running a stored container once from start to exit (like conmon): mount, network, logs, state, exit code, --rm cleanup.
using Gantry.Oci;
using Gantry.Runtime.Logs;
using Gantry.Runtime.State;

namespace Gantry.Runtime.Monitor;

/// <summary>Attached streams for a foreground start; null members mean "not attached".</summary>
public sealed record AttachStreams(Stream? Stdin, Stream? Stdout, Stream? Stderr, bool InheritTerminal);

public sealed class ContainerMonitor
{
    private readonly ContainerStore store;
    private readonly OciRuntime runtime;

    public ContainerMonitor(ContainerStore store, OciRuntime runtime)
    {
        this.store = store;
        this.runtime = runtime;
    }

    /// <summary>Starts a new session so the monitor outlives the CLI and its terminal (call first thing in the monitor process).</summary>
    public static void DetachFromTerminal() => Native.Libc.Setsid();

    /// <summary>True when a process with this pid exists.</summary>
    public static bool ProcessExists(int pid) => Native.Libc.ProcessExists(pid);

    /// <summary>Called to remove a container's writable snapshot when it is auto-removed (--rm).</summary>
    public Func<ContainerRecord, CancellationToken, Task>? RemoveSnapshot { get; init; }

    /// <summary>
    /// Runs the container until it exits, recording state (running with pid, then exited with the code) and logs. When
    /// <paramref name="attach"/> is given, output is also copied there (or, for a terminal, the runtime uses this process's stdio).
    /// Returns the exit code. A failure to start is recorded in State.Error and thrown.
    /// </summary>
    public async Task<int> RunAsync(string id, AttachStreams? attach, CancellationToken cancellationToken)
    {
        var record = store.Get(id);
        var exited = false;
        ContainerSession? session = null;
        int exitCode;
        try
        {
            store.MountRootfs(record);
            session = await ContainerSession.PrepareAsync(runtime, record.Id, record.Spec, store.BundleDir(record.Id), removeMountStubs: false, cancellationToken).ConfigureAwait(false);
            var s = session;
            store.Update(id, r =>
            {
                r.State.Status = "running";
                r.State.MonitorPid = Environment.ProcessId;
                r.State.StartedAt = DateTimeOffset.UtcNow;
                r.State.Error = "";
                r.State.Pid = 0;
                r.IpAddress = s.IpAddress;
                r.Ports = [.. s.PublishedPorts];
                r.Runtime = runtime.Name;
            });

            void OnStarted(int pid) => store.Update(id, r =>
            {
                if (!exited)
                {
                    r.State.Pid = pid;
                }
            });

            if (attach is { InheritTerminal: true })
            {
                exitCode = await session.RunAsync(null, null, null, OnStarted, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                using var log = new JsonLogWriter(store.LogPath(id));
                using var stdout = log.CreateStream("stdout", attach?.Stdout);
                using var stderr = log.CreateStream("stderr", attach?.Stderr);
                exitCode = await session.RunAsync(attach?.Stdin, stdout, stderr, OnStarted, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            var code = ex is GantryException g ? g.ExitCode : 125;
            exited = true;
            TryUpdate(id, r =>
            {
                r.State.Status = r.State.StartedAt == default ? "created" : "exited";
                r.State.Error = ex.Message;
                r.State.ExitCode = code;
                r.State.Pid = 0;
                r.State.MonitorPid = 0;
            });
            await CleanupAsync(session, record).ConfigureAwait(false);
            throw;
        }

        exited = true;
        var final = TryUpdate(id, r =>
        {
            r.State.Status = "exited";
            r.State.ExitCode = exitCode;
            r.State.FinishedAt = DateTimeOffset.UtcNow;
            r.State.Pid = 0;
            r.State.MonitorPid = 0;
        });
        await CleanupAsync(session, record).ConfigureAwait(false);
        if (final is { AutoRemove: true })
        {
            await RemoveAsync(final, CancellationToken.None).ConfigureAwait(false);
        }

        return exitCode;
    }

    /// <summary>Removes a stopped container: rootfs mount, writable snapshot, folder.</summary>
    public async Task RemoveAsync(ContainerRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        store.UnmountRootfs(record);
        if (RemoveSnapshot is not null && record.SnapshotKey is not null)
        {
            await RemoveSnapshot(record, cancellationToken).ConfigureAwait(false);
        }

        store.Delete(record.Id);
    }

    private async Task CleanupAsync(ContainerSession? session, ContainerRecord record)
    {
        if (session is not null)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            store.UnmountRootfs(record);
        }
        catch (GantryException)
        {
        }
    }

    private ContainerRecord? TryUpdate(string id, Action<ContainerRecord> change)
    {
        try
        {
            return store.Update(id, change);
        }
        catch (ContentNotFoundException)
        {
            return null;
        }
    }
}
