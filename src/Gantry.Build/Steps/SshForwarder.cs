// Owns: RUN --mount=type=ssh: an agent socket (the caller's, or a private ssh-agent loaded with key files) re-exposed through a proxy socket with the mount's uid/gid/mode.
using System.Diagnostics;
using System.Net.Sockets;
using Gantry.Build.Native;
using Gantry.Oci;

namespace Gantry.Build.Steps;

/// <summary>
/// One forwarded agent: a listening unix socket at <see cref="SocketPath"/> (owned by the mount's uid/gid, with its mode) whose
/// connections are relayed to the upstream agent, as BuildKit's session ssh forwarding does. Dispose stops it and any private agent.
/// </summary>
public sealed class SshForwarder : IAsyncDisposable
{
    private const int MaxSocketPath = 100;

    private readonly Socket _listener;
    private readonly string _upstream;
    private readonly Process? _agent;
    private readonly string? _ownedDir;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    private SshForwarder(Socket listener, string socketPath, string upstream, Process? agent, string? ownedDir)
    {
        _listener = listener;
        SocketPath = socketPath;
        _upstream = upstream;
        _agent = agent;
        _ownedDir = ownedDir;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The proxy socket on the host, to bind-mount into the RUN container.</summary>
    public string SocketPath { get; }

    /// <summary>
    /// Starts forwarding for ssh id <paramref name="id"/>: <paramref name="sources"/> empty means $SSH_AUTH_SOCK, a single socket
    /// is used as the agent, otherwise the paths are private key files loaded into a fresh <c>ssh-agent</c>.
    /// </summary>
    public static async Task<SshForwarder> StartAsync(string id, IReadOnlyList<string> sources, string workDir, int uid, int gid, int mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var dir = Path.Combine(workDir, "ssh-" + Guid.NewGuid().ToString("N")[..8]);
        string? ownedDir = null;
        if (dir.Length + 16 > MaxSocketPath)
        {
            // Unix socket paths are limited to 108 bytes; a deep store root falls back to a short private directory.
            dir = Path.Combine("/tmp", "gantry-ssh-" + Guid.NewGuid().ToString("N")[..12]);
            ownedDir = dir;
        }

        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        Process? agent = null;
        try
        {
            string upstream;
            if (sources.Count == 0)
            {
                upstream = Environment.GetEnvironmentVariable("SSH_AUTH_SOCK") is { Length: > 0 } sock
                    ? sock
                    : throw new GantryException($"--ssh {id}: SSH_AUTH_SOCK is not set, so there is no agent to forward; start ssh-agent and ssh-add your key, or pass --ssh {id}=PATH/TO/PRIVATE_KEY");
                if (!IsSocket(upstream))
                {
                    throw new GantryException($"--ssh {id}: SSH_AUTH_SOCK points to '{upstream}', which is not a socket; start ssh-agent or pass --ssh {id}=PATH/TO/PRIVATE_KEY");
                }
            }
            else if (sources.Count == 1 && IsSocket(sources[0]))
            {
                upstream = sources[0];
            }
            else
            {
                foreach (var path in sources)
                {
                    if (!File.Exists(path))
                    {
                        throw new GantryException($"--ssh {id}={path}: the file does not exist; give an agent socket or private key files");
                    }
                }

                upstream = Path.Combine(dir, "agent.sock");
                agent = await StartAgentAsync(id, upstream, sources, cancellationToken).ConfigureAwait(false);
            }

            var socketPath = Path.Combine(dir, "proxy.sock");
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                listener.Bind(new UnixDomainSocketEndPoint(socketPath));
                File.SetUnixFileMode(socketPath, (UnixFileMode)mode);
                if (uid != 0 || gid != 0)
                {
                    Chown(socketPath, uid, gid);
                }

                listener.Listen(16);
            }
            catch
            {
                listener.Dispose();
                throw;
            }

            return new SshForwarder(listener, socketPath, upstream, agent, ownedDir);
        }
        catch
        {
            StopAgent(agent);
            if (ownedDir is not null)
            {
                Dirs.RemoveAll(ownedDir);
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping.
        }

        StopAgent(_agent);
        _stop.Dispose();
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException)
        {
            // The RUN work directory is removed anyway.
        }

        if (_ownedDir is not null)
        {
            Dirs.RemoveAll(_ownedDir);
        }
    }

    private static async Task<Process> StartAgentAsync(string id, string socket, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var agentPath = Which("ssh-agent") ?? throw new GantryException($"--ssh {id}: loading key files needs ssh-agent (apt-get install openssh-client), or forward a running agent with --ssh {id}");
        var psi = new ProcessStartInfo(agentPath, ["-D", "-a", socket]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        var agent = Process.Start(psi) ?? throw new GantryException($"--ssh {id}: cannot start ssh-agent");
        try
        {
            agent.StandardInput.Close();
            _ = agent.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!IsSocket(socket))
            {
                if (agent.HasExited)
                {
                    var err = await agent.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
                    throw new GantryException($"--ssh {id}: ssh-agent exited with code {agent.ExitCode}: {err.Trim()}");
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new GantryException($"--ssh {id}: ssh-agent did not create its socket {socket} within 10 seconds");
                }

                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }

            var addPath = Which("ssh-add") ?? throw new GantryException($"--ssh {id}: loading key files needs ssh-add (apt-get install openssh-client)");
            var add = new ProcessStartInfo(addPath) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            foreach (var key in keys)
            {
                add.ArgumentList.Add(Path.GetFullPath(key));
            }

            add.Environment["SSH_AUTH_SOCK"] = socket;
            add.Environment.Remove("DISPLAY");
            add.Environment.Remove("SSH_ASKPASS");
            using var p = Process.Start(add) ?? throw new GantryException($"--ssh {id}: cannot start ssh-add");
            p.StandardInput.Close();
            var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
            _ = await p.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (p.ExitCode != 0)
            {
                throw new GantryException($"--ssh {id}={string.Join(',', keys)}: ssh-add could not load the key ({(await stderr.ConfigureAwait(false)).Trim()}); give an unencrypted key or forward a running agent with --ssh {id}");
            }

            return agent;
        }
        catch
        {
            StopAgent(agent);
            throw;
        }
    }

    private static void StopAgent(Process? agent)
    {
        if (agent is null)
        {
            return;
        }

        try
        {
            if (!agent.HasExited)
            {
                agent.Kill();
                agent.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        agent.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client, token), CancellationToken.None);
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken token)
    {
        using (client)
        {
            using var upstream = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await upstream.ConnectAsync(new UnixDomainSocketEndPoint(_upstream), token).ConfigureAwait(false);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(token);
                var a = PumpAsync(client, upstream, linked.Token);
                var b = PumpAsync(upstream, client, linked.Token);
                await Task.WhenAny(a, b).ConfigureAwait(false);
                await linked.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(a, b).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
            {
                // One client's connection ended; the proxy keeps serving others.
            }
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken token)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, token).ConfigureAwait(false);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Either side closed.
        }
    }

    private static bool IsSocket(string path)
    {
        try
        {
            var target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
            return FileStatReader.TryLstat(target) is { } st && (st.Mode & FileStat.TypeMask) == 0xC000;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void Chown(string path, int uid, int gid)
    {
        if (NativeChown.Lchown(path, uid, gid) != 0)
        {
            throw new GantryException($"cannot give the ssh socket {path} owner {uid}:{gid} (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);
}

internal static partial class NativeChown
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    internal static partial int Lchown(string path, int uid, int gid);
}
