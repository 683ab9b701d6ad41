// Owns: one run of a container process: preflight checks, bundle + config.json, network, ports, running crun/runc, and teardown.
using System.Diagnostics;
using System.Text.Json;
using Gantry.Oci;
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
            initPath = FindInit() ?? throw new GantryException("--init needs tini-static or catatonit on the host (apt-get install tini); run without --init") { ExitCode = 125 };
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

    private static string? FindInit()
    {
        foreach (var c in new[] { "tini-static", "catatonit", "tini", "docker-init" })
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

        await runtime.DeleteAsync(Id, CancellationToken.None).ConfigureAwait(false);
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
