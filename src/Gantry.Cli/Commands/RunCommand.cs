// Owns: `gantry run`: create a container from an image and start it attached (exit code propagated) or detached (-d).
using System.CommandLine;
using System.Runtime.InteropServices;
using Gantry.Cli.Containers;
using Gantry.Runtime;
using Gantry.Runtime.Monitor;
using Gantry.Runtime.State;

namespace Gantry.Cli.Commands;

internal static class RunCommand
{
    public static Command Create()
    {
        var command = new Command("run", "Create and run a new container from an image");
        var options = new RunOptions();
        options.AddTo(command);
        var detach = new Option<bool>("--detach", "-d") { Description = "Run container in background and print container ID" };
        var detachKeys = new Option<string?>("--detach-keys") { Description = "Override the key sequence for detaching a container (default ctrl-p,ctrl-q)" };
        var sigProxy = new Option<bool>("--sig-proxy") { Description = "Proxy received signals to the process (non-TTY)", DefaultValueFactory = _ => true };
        command.Options.Add(detach);
        command.Options.Add(detachKeys);
        command.Options.Add(sigProxy);
        command.SetAction(async (pr, ct) =>
        {
            var keys = pr.GetValue(detachKeys);
            _ = AttachClient.ParseDetachKeys(keys);
            var record = await options.CreateContainerAsync(pr, ct, pr.GetValue(detach)).ConfigureAwait(false);
            var store = ContainerCli.Store(pr);
            if (pr.GetValue(detach))
            {
                try
                {
                    await ContainerCli.StartDetachedAsync(store, record, ct).ConfigureAwait(false);
                }
                catch
                {
                    await RemoveQuietlyAsync(store, record).ConfigureAwait(false);
                    throw;
                }

                Console.Out.WriteLine(record.Id);
                return 0;
            }

            if (record.RestartPolicy != "no" || (record.Spec.Terminal && !TerminalMode.IsTerminal(0)))
            {
                // Through the detached monitor: it applies the restart policy after this attach ends, and owns the pty when our stdin is no terminal.
                try
                {
                    return await ContainerCli.StartAndAttachAsync(store, record, pr.GetValue(options.Interactive), pr.GetValue(sigProxy), keys, ct).ConfigureAwait(false);
                }
                catch
                {
                    if (store.TryGet(record.Id) is { } r && r.State.StartedAt == default)
                    {
                        await RemoveQuietlyAsync(store, r).ConfigureAwait(false);
                    }

                    throw;
                }
            }

            return await RunAttachedAsync(store, record, pr.GetValue(options.Interactive), removeOnStartFailure: true).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs a stored container in this process with its output on our stdout/stderr; returns its exit code.</summary>
    public static async Task<int> RunAttachedAsync(ContainerStore store, ContainerRecord record, bool interactive, bool removeOnStartFailure)
    {
        var runtime = ContainerCli.Runtime(record.Runtime);
        var monitor = ContainerCli.Monitor(store, runtime);
        var interrupts = 0;
        void Forward(PosixSignalContext context)
        {
            context.Cancel = true;
            var signal = context.Signal switch
            {
                PosixSignal.SIGINT => 2,
                PosixSignal.SIGTERM => 15,
                PosixSignal.SIGHUP => 1,
                PosixSignal.SIGQUIT => 3,
                _ => 15,
            };
            if (context.Signal == PosixSignal.SIGINT && Interlocked.Increment(ref interrupts) > 1)
            {
                signal = 9; // a second Ctrl-C stops it for good
            }

            _ = runtime.KillAsync(record.Id, signal, CancellationToken.None);
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Forward);
        using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Forward);
        AttachStreams attach = record.Spec.Terminal
            ? new AttachStreams(null, null, null, InheritTerminal: true)
            : new AttachStreams(interactive ? Console.OpenStandardInput() : null, Console.OpenStandardOutput(), Console.OpenStandardError(), false);
        try
        {
            return await monitor.RunAsync(record.Id, attach, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            if (removeOnStartFailure && store.TryGet(record.Id) is { } r && r.State.StartedAt == default)
            {
                await RemoveQuietlyAsync(store, r).ConfigureAwait(false);
            }

            throw;
        }
    }

    private static async Task RemoveQuietlyAsync(ContainerStore store, ContainerRecord record)
    {
        try
        {
            var current = store.TryGet(record.Id);
            if (current is not null)
            {
                await ContainerCli.RemoveAsync(store, current, force: true, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Gantry.Oci.GantryException)
        {
        }
    }
}
