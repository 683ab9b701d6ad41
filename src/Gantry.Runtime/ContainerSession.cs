// Owns: one run of a container process: preflight checks, bundle + config.json, network, ports, running crun/runc, and teardown.
using System.Diagnostics;
using System.Text.Json;
using Gantry.Oci;
using Gantry.Runtime.Monitor;
using Gantry.Runtime.Network;
using Gantry.Runtime.Spec;

namespace Gantry.Runtime;

/// <summary>
/// A container made ready to start (bundle written, network attached, ports bound), then run once. Disposing tears everything
/// down again: the runtime's record, the network namespace, the port listeners, mount stubs (when asked) and an ephemeral bundle.
/// </summary>
public sealed class ContainerSession : IAsyncDisposable
{
    private readonly OciRuntime runtime;
    private readonly bool ephemeralBundle;
    private MountStubs? stubs;
    private BridgeAttachment? bridge;
    private PortForwarder? ports;
    private Process? process;
    private int consolePid;

    private ContainerSession(OciRuntime runtime, string id, string bundleDir, RunSpec spec, bool ephemeralBundle)
    {
        this.runtime = runtime;
        Id = id;
        BundleDir = bundleDir;
        Spec = spec;
        this.ephemeralBundle = ephemeralBundle;
    }

    public string Id { get; }

    public string BundleDir { get; }

    public RunSpec Spec { get; }

    /// <summary>The container's address on the bridge, or null.</summary>
    public string? IpAddress => bridge?.IpAddress;

    public IReadOnlyList<PortMapping> PublishedPorts => ports?.Bound ?? [];

    /// <summary>True when mount points created inside the rootfs are removed again at dispose (builds).</summary>
    public bool RemoveMountStubs { get; init; }

    /// <summary>
    /// Checks the spec (command, user, bind sources, ports), then writes the bundle under <paramref name="bundleDir"/>
    /// (a fresh temp dir when null, removed at dispose) and attaches the network. Nothing is left behind when it throws.
    /// </summary>
    public static async Task<ContainerSession> PrepareAsync(OciRuntime runtime, string id, RunSpec spec, string? bundleDir, bool removeMountStubs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(spec);
        if (!Directory.Exists(spec.RootfsPath))
        {
            throw new GantryException($"the container root filesystem '{spec.RootfsPath}' does not exist: mount or unpack the image first") { ExitCode = 125 };
        }

        foreach (var m in spec.Mounts)
        {
            if (!m.Target.StartsWith('/'))
            {
                throw new GantryException($"invalid mount target '{m.Target}': the path inside the container must be absolute") { ExitCode = 125 };
            }

            if (m.Kind != MountKind.Tmpfs && !Path.Exists(m.Source))
            {
                throw new GantryException($"invalid mount config: bind source path does not exist: {m.Source} (create it first, or use a named volume)") { ExitCode = 125 };
            }
        }

        if (spec.Ports.Count > 0 && spec.Network != NetworkMode.Bridge)
        {
            throw new GantryException($"published ports need the bridge network: drop -p or use --network bridge (not {spec.Network.ToString().ToLowerInvariant()})") { ExitCode = 125 };
        }

        var user = UserResolver.Resolve(spec.RootfsPath, spec.User);
        var env = SpecGenerator.BuildEnv(spec, user);
        string? initPath = null;
        var args = spec.Args.ToList();
        if (spec.Init)
        {
            initPath = FindInit() ?? throw new GantryException("--init needs a static init on the host and none was found (tini-static, catatonit, docker-init): apt-get install tini, set GANTRY_INIT_PATH, or run without --init") { ExitCode = 125 };
        }

        CommandResolver.Check(spec.RootfsPath, args, env, spec.WorkingDir);
        if (initPath is not null)
        {
            args.InsertRange(0, ["/sbin/docker-init", "--"]);
        }

        var ephemeral = bundleDir is null;
        var bundle = bundleDir ?? Path.Combine(Path.GetTempPath(), "gantry-bundle-" + id[..Math.Min(16, id.Length)]);
        var session = new ContainerSession(runtime, id, bundle, spec, ephemeral) { RemoveMountStubs = removeMountStubs };
        try
        {
            Directory.CreateDirectory(bundle);
            if (spec.Ports.Count > 0)
            {
                session.ports = PortForwarder.Bind(spec.Ports);
            }

            if (spec.Network == NetworkMode.Bridge)
            {
                session.bridge = await BridgeNetwork.AttachAsync(id, cancellationToken).ConfigureAwait(false);
            }

            var etcDir = Path.Combine(bundle, "etc");
            EtcFiles.Write(etcDir, spec, session.bridge?.IpAddress);
            var oci = SpecGenerator.Generate(spec, args, user, etcDir, session.bridge?.NamespacePath, initPath);
            oci.Process.Env = env;
            session.stubs = MountStubs.Record(spec.RootfsPath, oci.Mounts.Select(m => m.Destination));
            EnsureWorkingDir(spec, user);
            await File.WriteAllBytesAsync(Path.Combine(bundle, "config.json"), JsonSerializer.SerializeToUtf8Bytes(oci, RuntimeJsonContext.Default.OciRuntimeSpec), cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void EnsureWorkingDir(RunSpec spec, ResolvedUser user)
    {
        if (string.IsNullOrEmpty(spec.WorkingDir) || spec.WorkingDir == "/")
        {
            return;
        }

        var host = RootPath.Resolve(spec.RootfsPath, spec.WorkingDir);
        if (!Directory.Exists(host))
        {
            if (spec.ReadOnlyRootfs)
            {
                throw new GantryException($"the working directory '{spec.WorkingDir}' does not exist in the read-only root filesystem") { ExitCode = 125 };
            }

            Directory.CreateDirectory(host);
            _ = user;
        }
    }

    /// <summary>
    /// The host's static init for --init, bind-mounted read-only at /sbin/docker-init: $GANTRY_INIT_PATH when set, else
    /// tini-static (Debian's tini package), catatonit or docker-init from PATH. Null when there is none.
    /// </summary>
    public static string? FindInit()
    {
        var configured = Environment.GetEnvironmentVariable("GANTRY_INIT_PATH");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured)
                ? Path.GetFullPath(configured)
                : throw new GantryException($"--init: GANTRY_INIT_PATH names '{configured}', which does not exist: point it at a static tini or catatonit, or unset it") { ExitCode = 125 };
        }

        foreach (var c in new[] { "tini-static", "catatonit", "docker-init" })
        {
            var p = OciRuntime.Which(c);
            if (p is not null)
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>
    /// Starts the runtime. With null streams the runtime inherits this process's stdio (for a terminal); otherwise stdout and
    /// stderr are copied to the given streams and stdin from <paramref name="stdin"/> (or /dev/null).
    /// </summary>
    public async Task<int> RunAsync(Stream? stdin, Stream? stdout, Stream? stderr, Action<int>? onStarted, CancellationToken cancellationToken)
    {
        var psi = runtime.RunStartInfo(BundleDir, Id);
        var redirect = stdout is not null;
        psi.RedirectStandardOutput = redirect;
        psi.RedirectStandardError = redirect;
        psi.RedirectStandardInput = redirect;
        process = Process.Start(psi) ?? throw new GantryException($"cannot start {runtime.ExecutablePath}");
        if (bridge is not null)
        {
            ports?.Start(bridge.IpAddress);
        }

        Task copyOut = Task.CompletedTask, copyErr = Task.CompletedTask, copyIn = Task.CompletedTask;
        if (redirect)
        {
            copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout!, CancellationToken.None);
            copyErr = process.StandardError.BaseStream.CopyToAsync(stderr ?? stdout!, CancellationToken.None);
            var input = process.StandardInput.BaseStream;
            copyIn = stdin is null
                ? Task.Run(input.Dispose, CancellationToken.None)
                : Task.Run(async () =>
                {
                    try
                    {
                        await stdin.CopyToAsync(input, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
                    {
                    }
                    finally
                    {
                        try
                        {
                            await input.DisposeAsync().ConfigureAwait(false);
                        }
                        catch (IOException)
                        {
                        }
                    }
                }, CancellationToken.None);
        }

        if (onStarted is not null)
        {
            _ = Task.Run(async () =>
            {
                for (var i = 0; i < 200 && !process.HasExited; i++)
                {
                    var state = await runtime.StateAsync(Id, CancellationToken.None).ConfigureAwait(false);
                    if (state is { Pid: > 0 } && state.Status is "running" or "stopped")
                    {
                        onStarted(state.Pid);
                        return;
                    }

                    await Task.Delay(25, CancellationToken.None).ConfigureAwait(false);
                }
            }, CancellationToken.None);
        }

        using (cancellationToken.Register(() => _ = runtime.KillAsync(Id, 9, CancellationToken.None)))
        {
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await Task.WhenAll(copyOut, copyErr).ConfigureAwait(false);
        _ = copyIn;
        if (stdout is not null)
        {
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }

        if (stderr is not null)
        {
            await stderr.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return process.ExitCode;
    }

    /// <summary>
    /// Starts the container with a pseudo-terminal that this process owns (detached `-t`, as conmon does): `runtime create
    /// --console-socket` sends the pty master over a unix socket, <paramref name="onConsole"/> receives that fd (the caller reads,
    /// writes and closes it), then `runtime start` runs the process. This process becomes a child subreaper so that it can wait
    /// for the container process, which `create` leaves behind as an orphan. Returns the exit code (128+N when killed by signal N).
    /// </summary>
    public async Task<int> RunWithConsoleAsync(Action<int> onConsole, Action<int>? onStarted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onConsole);
        MonitorNative.BecomeSubreaper();
        var socketPath = Path.Combine(Path.GetTempPath(), $"gantry-console-{Id[..Math.Min(12, Id.Length)]}-{Environment.ProcessId}.sock");
        var pidFile = Path.Combine(BundleDir, "container.pid");
        File.Delete(pidFile);
        var listener = AttachProtocol.Listen(socketPath);
        try
        {
            var accept = listener.AcceptAsync(cancellationToken).AsTask();
            var psi = runtime.CreateStartInfo(BundleDir, Id, socketPath, pidFile);
            psi.RedirectStandardInput = true;
            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            using (var create = Process.Start(psi) ?? throw new GantryException($"cannot start {runtime.ExecutablePath}"))
            {
                create.StandardInput.Close();
                var stderr = create.StandardError.ReadToEndAsync(CancellationToken.None);
                var stdout = create.StandardOutput.ReadToEndAsync(CancellationToken.None);
                await create.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (create.ExitCode != 0)
                {
                    await Task.WhenAny(Task.WhenAll(stderr, stdout), Task.Delay(2000, CancellationToken.None)).ConfigureAwait(false);
                    var text = ((stderr.IsCompletedSuccessfully ? stderr.Result : "") + (stdout.IsCompletedSuccessfully ? stdout.Result : "")).Trim();
                    throw new GantryException($"{runtime.Name} could not create the container: {text}") { ExitCode = 125 };
                }
            }

            using (var connection = await accept.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false))
            {
                onConsole(MonitorNative.ReceiveFd(connection.Handle));
            }

            consolePid = int.Parse((await File.ReadAllTextAsync(pidFile, cancellationToken).ConfigureAwait(false)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            listener.Dispose();
            File.Delete(socketPath);
        }

        if (bridge is not null)
        {
            ports?.Start(bridge.IpAddress);
        }

        var pid = consolePid;
        var waiter = Task.Factory.StartNew(() => MonitorNative.WaitForExit(pid), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var startError = await runtime.StartAsync(Id, CancellationToken.None).ConfigureAwait(false);
        if (startError is not null)
        {
            throw new GantryException($"{runtime.Name} could not start the container: {startError}") { ExitCode = 125 };
        }

        onStarted?.Invoke(pid);
        int exitCode;
        using (cancellationToken.Register(() => _ = runtime.KillAsync(Id, 9, CancellationToken.None)))
        {
            exitCode = await waiter.ConfigureAwait(false);
        }

        consolePid = 0;
        cancellationToken.ThrowIfCancellationRequested();
        return exitCode;
    }

    /// <summary>Sends a signal to the container's init process.</summary>
    public Task<bool> SignalAsync(int signal, CancellationToken cancellationToken) => runtime.KillAsync(Id, signal, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            if (!process.HasExited)
            {
                await runtime.KillAsync(Id, 9, CancellationToken.None).ConfigureAwait(false);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            process.Dispose();
        }

        if (consolePid > 0)
        {
            await runtime.KillAsync(Id, 9, CancellationToken.None).ConfigureAwait(false);
            var pid = consolePid;
            await Task.Run(() => MonitorNative.WaitForExit(pid), CancellationToken.None).ConfigureAwait(false);
            consolePid = 0;
        }

        // `crun run` / `runc run` delete the container themselves when it exits; a state directory left behind (a create +
        // start session, a killed runtime) still gets `delete --force`. Skipping the no-op saves an exec per build RUN.
        if (Directory.Exists(Path.Combine(runtime.StateRoot, Id)))
        {
            await runtime.DeleteAsync(Id, CancellationToken.None).ConfigureAwait(false);
        }

        if (ports is not null)
        {
            await ports.DisposeAsync().ConfigureAwait(false);
        }

        if (bridge is not null)
        {
            await BridgeNetwork.DetachAsync(bridge, Id, CancellationToken.None).ConfigureAwait(false);
        }

        if (RemoveMountStubs)
        {
            stubs?.Remove(Spec.RootfsPath);
        }

        if (ephemeralBundle)
        {
            try
            {
                Directory.Delete(BundleDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
