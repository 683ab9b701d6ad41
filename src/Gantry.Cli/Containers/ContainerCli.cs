// Owns: CLI-side container plumbing: opening the stores, starting the detached monitor, stopping, removing, waiting.
using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Gantry.Content;
using Gantry.Oci;
using Gantry.Runtime;
using Gantry.Runtime.Monitor;
using Gantry.Runtime.State;
using Gantry.Runtime.Volumes;
using Gantry.Snapshots;

namespace Gantry.Cli.Containers;

internal static class ContainerCli
{
    public static ContainerStore Store(ParseResult parseResult) => new(CliStore.Root(parseResult));

    public static VolumeStore Volumes(ParseResult parseResult) => new(CliStore.Root(parseResult));

    public static OciRuntime Runtime(string? name) => OciRuntime.Detect(string.IsNullOrEmpty(name) ? null : name);

    public static ContainerMonitor Monitor(ContainerStore store, OciRuntime runtime) => new(store, runtime)
    {
        RemoveSnapshot = async (record, ct) =>
        {
            var images = ImageStore.Open(store.StoreRoot);
            var snapshots = new SnapshotStore(store.StoreRoot, images.Blobs);
            await snapshots.RemoveAsync(record.SnapshotKey!, ct).ConfigureAwait(false);
        },
    };

    /// <summary>Starts the container under a detached monitor process (`gantry internal-monitor ID`) and waits until it runs or fails.</summary>
    public static async Task StartDetachedAsync(ContainerStore store, ContainerRecord record, CancellationToken cancellationToken)
    {
        var started = LaunchMonitor(store, record, waitForAttach: false);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            var r = store.TryGet(record.Id);
            if (r is null)
            {
                return; // already auto-removed
            }

            if (r.State.Error.Length > 0)
            {
                throw StartError(r);
            }

            if (r.State.Status == "exited" && r.State.FinishedAt >= started)
            {
                return;
            }

            if (r.State.Status is "running" or "restarting" && (r.State.Pid > 0 || r.State.Status == "restarting"))
            {
                return;
            }
        }

        throw new GantryException($"container {record.ShortId} did not start within 60 seconds");
    }

    /// <summary>
    /// Starts the container under a detached monitor that waits for this process to attach first (so no output is missed), then
    /// attaches (`start -a`, `run` with a restart policy or a -t without a terminal). Returns the container's exit code.
    /// </summary>
    public static async Task<int> StartAndAttachAsync(ContainerStore store, ContainerRecord record, bool attachStdin, bool sigProxy, string? detachKeys, CancellationToken cancellationToken)
    {
        var keys = AttachClient.ParseDetachKeys(detachKeys);
        var started = LaunchMonitor(store, record, waitForAttach: true);
        var socket = store.AttachSocketPath(record.Id);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var r = store.TryGet(record.Id) ?? throw new GantryException($"container {record.ShortId} was removed while starting");
            if (r.State.Error.Length > 0)
            {
                throw StartError(r);
            }

            if (File.Exists(socket))
            {
                break;
            }

            if (r.State.Status == "exited" && r.State.FinishedAt >= started)
            {
                return r.State.ExitCode;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new GantryException($"container {record.ShortId} did not start within 60 seconds");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        return await AttachAsync(store, record, attachStdin, sigProxy, keys, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Attaches this terminal (or these pipes) to a running container through its monitor's socket: output to our stdout/stderr,
    /// our stdin to the container when <paramref name="attachStdin"/> and the container keeps stdin open, the detach keys end the
    /// attach and leave the container running (returns 0), signals are forwarded when <paramref name="sigProxy"/> (non-tty).
    /// Returns the container's exit code when it exits.
    /// </summary>
    public static async Task<int> AttachAsync(ContainerStore store, ContainerRecord record, bool attachStdin, bool sigProxy, byte[] detachKeys, CancellationToken cancellationToken)
    {
        using var client = AttachClient.Connect(store.AttachSocketPath(record.Id));
        var tty = record.Spec.Terminal;
        var stdin = attachStdin && record.OpenStdin ? Console.OpenStandardInput() : null;
        var runtime = Runtime(record.Runtime);
        var registrations = new List<PosixSignalRegistration>();
        try
        {
            if (tty)
            {
                void SendSize()
                {
                    if ((TerminalMode.Size(1) ?? TerminalMode.Size(0)) is { } size)
                    {
                        client.SendResize(size.Rows, size.Cols);
                    }
                }

                SendSize();
                registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGWINCH, ctx =>
                {
                    ctx.Cancel = true;
                    SendSize();
                }));
            }
            else if (sigProxy)
            {
                foreach (var (posix, number) in new[] { (PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1), (PosixSignal.SIGQUIT, 3) })
                {
                    registrations.Add(PosixSignalRegistration.Create(posix, ctx =>
                    {
                        ctx.Cancel = true;
                        _ = runtime.KillAsync(record.Id, number, CancellationToken.None);
                    }));
                }
            }

            AttachResult result;
            using (tty && stdin is not null ? TerminalMode.MakeRaw(0) : null)
            {
                result = await client.RunAsync(stdin, Console.OpenStandardOutput(), Console.OpenStandardError(), stdin is null ? [] : detachKeys, cancellationToken).ConfigureAwait(false);
            }

            if (result.Detached)
            {
                Console.Error.WriteLine("read escape sequence");
                return 0;
            }

            if (result.ExitCode is { } code)
            {
                return code;
            }

            // The monitor went away without an exit frame: report what it recorded.
            await WaitStoppedAsync(store, record.Id, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            var r = store.TryGet(record.Id);
            if (r is { State.Error.Length: > 0 })
            {
                throw StartError(r);
            }

            return r?.State.ExitCode ?? 0;
        }
        finally
        {
            foreach (var reg in registrations)
            {
                reg.Dispose();
            }
        }
    }

    private static GantryException StartError(ContainerRecord r) =>
        new(r.State.Error) { ExitCode = r.State.ExitCode is 126 or 127 ? r.State.ExitCode : 125 };

    /// <summary>Spawns `gantry internal-monitor ID` (which outlives this process); returns the time just before.</summary>
    private static DateTimeOffset LaunchMonitor(ContainerStore store, ContainerRecord record, bool waitForAttach)
    {
        var exe = Environment.ProcessPath ?? throw new GantryException("cannot find the gantry executable to start the container monitor");
        var psi = new ProcessStartInfo(exe)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("internal-monitor");
        psi.ArgumentList.Add(record.Id);
        psi.Environment["GANTRY_ROOT"] = store.StoreRoot;
        psi.Environment["GANTRY_RUNTIME"] = record.Runtime;
        var started = DateTimeOffset.UtcNow;
        store.Update(record.Id, r =>
        {
            r.State.Error = "";
            r.State.Status = r.State.Status == "running" ? "running" : "starting";
            r.State.ManuallyStopped = false;
            r.State.WaitForAttach = waitForAttach;
        });
        File.Delete(store.AttachSocketPath(record.Id));
        using (var p = Process.Start(psi) ?? throw new GantryException("cannot start the container monitor"))
        {
            p.StandardInput.Close();
            p.StandardOutput.Close();
            p.StandardError.Close();
        }

        return started;
    }

    /// <summary>Sends the stop signal, waits up to <paramref name="timeoutSeconds"/>, then SIGKILL; returns when the monitor recorded the exit.</summary>
    public static async Task StopAsync(ContainerStore store, ContainerRecord record, int? timeoutSeconds, string? signal, CancellationToken cancellationToken)
    {
        if (!ContainerStore.IsRunning(record))
        {
            return;
        }

        store.Update(record.Id, r => r.State.ManuallyStopped = true);
        var runtime = Runtime(record.Runtime);
        var timeout = timeoutSeconds ?? record.StopTimeout;
        await runtime.KillAsync(record.Id, Signals.Parse(signal ?? record.StopSignal), cancellationToken).ConfigureAwait(false);
        if (await WaitStoppedAsync(store, record.Id, TimeSpan.FromSeconds(Math.Max(0, timeout)), cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await runtime.KillAsync(record.Id, 9, cancellationToken).ConfigureAwait(false);
        await WaitStoppedAsync(store, record.Id, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until the container is no longer running (or gone); false on timeout.</summary>
    public static async Task<bool> WaitStoppedAsync(ContainerStore store, string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var r = store.TryGet(id);
            if (r is null || !ContainerStore.IsRunning(r))
            {
                if (r is not null && r.State.Status is "running")
                {
                    // the monitor died without recording the exit: record it now
                    store.Update(id, x =>
                    {
                        x.State.Status = "exited";
                        x.State.ExitCode = 137;
                        x.State.FinishedAt = DateTimeOffset.UtcNow;
                    });
                }

                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a container (killing it first when <paramref name="force"/>).</summary>
    public static async Task RemoveAsync(ContainerStore store, ContainerRecord record, bool force, CancellationToken cancellationToken)
    {
        if (ContainerStore.IsRunning(record))
        {
            if (!force)
            {
                throw new GantryException($"cannot remove container \"/{record.Name}\": container is running: stop the container before removing or force remove");
            }

            var runtime = Runtime(record.Runtime);
            store.Update(record.Id, r => r.AutoRemove = false);
            await runtime.KillAsync(record.Id, 9, cancellationToken).ConfigureAwait(false);
            await WaitStoppedAsync(store, record.Id, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }

        var current = store.TryGet(record.Id) ?? record;
        await Monitor(store, Runtime(current.Runtime.Length > 0 ? current.Runtime : null)).RemoveAsync(current, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>docker's STATUS column: "Up 5 seconds", "Exited (0) 3 minutes ago", "Created".</summary>
    public static string Status(ContainerRecord r)
    {
        if (ContainerStore.IsRunning(r) && r.State.Status == "restarting")
        {
            return $"Restarting ({r.State.ExitCode}) {Output.HumanUnits.Duration(DateTimeOffset.UtcNow - r.State.FinishedAt)} ago";
        }

        if (ContainerStore.IsRunning(r))
        {
            return "Up " + Output.HumanUnits.Duration(DateTimeOffset.UtcNow - r.State.StartedAt);
        }

        return r.State.Status switch
        {
            "exited" => $"Exited ({r.State.ExitCode}) {Output.HumanUnits.Duration(DateTimeOffset.UtcNow - r.State.FinishedAt)} ago",
            "running" => $"Exited ({r.State.ExitCode}) {Output.HumanUnits.Duration(DateTimeOffset.UtcNow - r.State.StartedAt)} ago",
            _ => "Created",
        };
    }

    /// <summary>docker's State.Status: created, running, restarting, exited.</summary>
    public static string StateName(ContainerRecord r) => ContainerStore.IsRunning(r) ? (r.State.Status == "restarting" ? "restarting" : "running") : r.State.Status is "running" or "exited" ? "exited" : "created";

    public static string CommandText(ContainerRecord r) => string.Join(' ', r.Spec.Args);
}
