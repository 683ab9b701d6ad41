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
    /// Without it (the detached monitor process) the monitor serves the attach socket, owns the pty of a `-t` container, keeps
    /// stdin open for a `-i` container and applies the restart policy. Returns the exit code. A failure to start is recorded in
    /// State.Error and thrown.
    /// </summary>
    public async Task<int> RunAsync(string id, AttachStreams? attach, CancellationToken cancellationToken)
    {
        var record = store.Get(id);
        AttachServer? server = null;
        var exitCode = 0;
        try
        {
            if (attach is null)
            {
                server = AttachServer.Start(store.AttachSocketPath(record.Id));
                if (record.State.WaitForAttach)
                {
                    await server.WaitForClientAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                    record = store.Update(id, r => r.State.WaitForAttach = false);
                }
            }

            var policy = attach is null ? PolicyOf(record) : RestartPolicy.No;
            var restarts = 0;
            var delay = TimeSpan.Zero;
            while (true)
            {
                var began = DateTimeOffset.UtcNow;
                exitCode = await RunOnceAsync(record, attach, server, cancellationToken).ConfigureAwait(false);
                server?.SendExit(exitCode);
                var current = store.TryGet(id);
                if (current is null || !policy.ShouldRestart(exitCode, current.State.ManuallyStopped, restarts))
                {
                    break;
                }

                delay = RestartPolicy.NextDelay(delay, DateTimeOffset.UtcNow - began);
                restarts++;
                var code = exitCode;
                TryUpdate(id, r =>
                {
                    r.RestartCount++;
                    r.State.Status = "restarting";
                    r.State.ExitCode = code;
                    r.State.FinishedAt = DateTimeOffset.UtcNow;
                    r.State.Pid = 0;
                });
                if (!await SleepUnlessStoppedAsync(id, delay, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }

                record = store.Get(id);
            }
        }
        catch (Exception ex)
        {
            var code = ex is GantryException g ? g.ExitCode : 125;
            TryUpdate(id, r =>
            {
                r.State.Status = r.State.StartedAt == default ? "created" : "exited";
                r.State.Error = ex.Message;
                r.State.ExitCode = code;
                r.State.Pid = 0;
                r.State.MonitorPid = 0;
            });
            server?.Dispose();
            await CleanupAsync(null, record).ConfigureAwait(false);
            throw;
        }

        var exit = exitCode;
        var final = TryUpdate(id, r =>
        {
            r.State.Status = "exited";
            r.State.ExitCode = exit;
            r.State.FinishedAt = DateTimeOffset.UtcNow;
            r.State.Pid = 0;
            r.State.MonitorPid = 0;
        });
        server?.Dispose();
        await CleanupAsync(null, record).ConfigureAwait(false);
        if (final is { AutoRemove: true })
        {
            await RemoveAsync(final, CancellationToken.None).ConfigureAwait(false);
        }

        return exitCode;
    }

    private static RestartPolicy PolicyOf(ContainerRecord record) =>
        string.IsNullOrEmpty(record.RestartPolicy) || record.RestartPolicy == "no" ? RestartPolicy.No : new RestartPolicy(record.RestartPolicy, record.RestartMaxRetries);

    /// <summary>Waits out the restart backoff; false when the user stopped the container meanwhile.</summary>
    private async Task<bool> SleepUnlessStoppedAsync(string id, TimeSpan delay, CancellationToken cancellationToken)
    {
        var until = DateTimeOffset.UtcNow + delay;
        while (true)
        {
            var r = store.TryGet(id);
            if (r is null || r.State.ManuallyStopped)
            {
                return false;
            }

            var left = until - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return true;
            }

            await Task.Delay(left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One run of the container process: mount, prepare, run, tear the session down (the rootfs stays mounted).</summary>
    private async Task<int> RunOnceAsync(ContainerRecord record, AttachStreams? attach, AttachServer? server, CancellationToken cancellationToken)
    {
        var id = record.Id;
        var exited = false;
        store.MountRootfs(record);
        var session = await ContainerSession.PrepareAsync(runtime, record.Id, record.Spec, store.BundleDir(record.Id), removeMountStubs: false, cancellationToken).ConfigureAwait(false);
        try
        {
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

            int exitCode;
            if (attach is { InheritTerminal: true })
            {
                exitCode = await session.RunAsync(null, null, null, OnStarted, cancellationToken).ConfigureAwait(false);
            }
            else if (server is not null && record.Spec.Terminal)
            {
                exitCode = await RunWithConsoleAsync(session, record, server, OnStarted, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                using var log = new JsonLogWriter(store.LogPath(id));
                using var stdout = log.CreateStream("stdout", server is null ? attach?.Stdout : new BroadcastStream(server, AttachProtocol.Stdout));
                using var stderr = log.CreateStream("stderr", server is null ? attach?.Stderr : new BroadcastStream(server, AttachProtocol.Stderr));
                Stream? stdin = attach?.Stdin;
                if (server is not null && record.OpenStdin)
                {
                    var feed = new StdinFeed();
                    server.SetStdin(feed.Add, record.StdinOnce ? feed.Complete : null);
                    stdin = feed;
                }

                try
                {
                    exitCode = await session.RunAsync(stdin, stdout, stderr, OnStarted, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    server?.SetStdin(null, null);
                }
            }

            exited = true;
            return exitCode;
        }
        finally
        {
            exited = true;
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs a `-t` container whose pty master this monitor keeps: output to the log and the attach clients, their input to the pty.</summary>
    private async Task<int> RunWithConsoleAsync(ContainerSession session, ContainerRecord record, AttachServer server, Action<int> onStarted, CancellationToken cancellationToken)
    {
        using var log = new JsonLogWriter(store.LogPath(record.Id));
        using var stdout = log.CreateStream("stdout", new BroadcastStream(server, AttachProtocol.Stdout));
        var master = -1;
        Task pump = Task.CompletedTask;
        try
        {
            var exitCode = await session.RunWithConsoleAsync(
                fd =>
                {
                    master = fd;
                    MonitorNative.Resize(fd, 24, 80);
                    server.OnResize = (rows, cols) => MonitorNative.Resize(fd, rows, cols);
                    if (record.OpenStdin)
                    {
                        server.SetStdin(data => MonitorNative.WriteFd(fd, data), record.StdinOnce ? () => MonitorNative.WriteFd(fd, [4]) : null);
                    }

                    pump = Task.Factory.StartNew(
                        () =>
                        {
                            var buffer = new byte[16384];
                            int n;
                            while ((n = MonitorNative.ReadFd(fd, buffer)) > 0)
                            {
                                stdout.Write(buffer, 0, n);
                            }
                        },
                        CancellationToken.None,
                        TaskCreationOptions.LongRunning,
                        TaskScheduler.Default);
                },
                onStarted,
                cancellationToken).ConfigureAwait(false);

            // The pty reports EOF (EIO) once every process holding the slave is gone; do not wait for stragglers for long.
            await Task.WhenAny(pump, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
            return exitCode;
        }
        finally
        {
            server.SetStdin(null, null);
            server.OnResize = null;
            if (master >= 0)
            {
                MonitorNative.Close(master);
            }

            if (pump.IsCompleted)
            {
                stdout.Flush();
            }
        }
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
