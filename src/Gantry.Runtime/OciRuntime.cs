// Owns: finding crun or runc, making this host acceptable to it, and invoking its verbs (run, exec, kill, delete, state, ps).
using System.Diagnostics;
using System.Text.Json;
using Gantry.Oci;
using Gantry.Runtime.Native;
using Gantry.Runtime.Spec;

namespace Gantry.Runtime;

/// <summary>An OCI runtime binary (crun or runc) with its state directory.</summary>
public sealed class OciRuntime
{
    private OciRuntime(string name, string path)
    {
        Name = name;
        ExecutablePath = path;
        StateRoot = Path.Combine(Libc.IsRoot ? "/run/gantry" : Path.Combine(Path.GetTempPath(), "gantry-run-" + Libc.Geteuid()), name);
    }

    /// <summary>crun or runc.</summary>
    public string Name { get; }

    public string ExecutablePath { get; }

    /// <summary>The runtime's --root (its own state dir, kept apart from other users of the same runtime).</summary>
    public string StateRoot { get; }

    /// <summary>
    /// Picks the runtime: <paramref name="preferred"/> (a name or path, from --runtime), else $GANTRY_RUNTIME, else crun
    /// (after fixing the host for it) and runc when crun is missing or cannot work here.
    /// </summary>
    public static OciRuntime Detect(string? preferred = null)
    {
        var choice = string.IsNullOrWhiteSpace(preferred) ? Environment.GetEnvironmentVariable("GANTRY_RUNTIME") : preferred;
        if (!string.IsNullOrWhiteSpace(choice))
        {
            var path = choice.Contains('/', StringComparison.Ordinal) ? choice : Which(choice);
            if (path is null || !File.Exists(path))
            {
                throw new GantryException($"OCI runtime '{choice}' was not found on PATH: install it (apt-get install crun runc) or pass --runtime crun|runc");
            }

            var name = Path.GetFileName(path);
            if (name == "crun")
            {
                HostFixups.PrepareForCrun();
            }

            return new OciRuntime(name, path);
        }

        var crun = Which("crun");
        if (crun is not null && HostFixups.PrepareForCrun())
        {
            return new OciRuntime("crun", crun);
        }

        var runc = Which("runc");
        if (runc is not null)
        {
            return new OciRuntime("runc", runc);
        }

        if (crun is not null)
        {
            return new OciRuntime("crun", crun);
        }

        throw new GantryException("no OCI runtime found: install crun or runc (apt-get install crun runc) so that it is on PATH");
    }

    internal static string? Which(string command)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            if (dir.Length == 0)
            {
                continue;
            }

            var candidate = Path.Combine(dir, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (var dir in new[] { "/usr/sbin", "/sbin", "/usr/bin", "/usr/local/bin" })
        {
            var candidate = Path.Combine(dir, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>A start info for `RUNTIME --root R run --bundle B ID` (foreground: the runtime waits for the container and exits with its status).</summary>
    public ProcessStartInfo RunStartInfo(string bundle, string id)
    {
        var psi = Base();
        psi.ArgumentList.Add("run");
        psi.ArgumentList.Add("--bundle");
        psi.ArgumentList.Add(bundle);
        psi.ArgumentList.Add(id);
        return psi;
    }

    /// <summary>
    /// A start info for `RUNTIME --root R create --bundle B --console-socket S --pid-file P ID`: the runtime sends the pty master
    /// over S and exits, leaving the container waiting for <see cref="StartAsync"/>.
    /// </summary>
    public ProcessStartInfo CreateStartInfo(string bundle, string id, string consoleSocket, string pidFile)
    {
        var psi = Base();
        psi.ArgumentList.Add("create");
        psi.ArgumentList.Add("--bundle");
        psi.ArgumentList.Add(bundle);
        psi.ArgumentList.Add("--console-socket");
        psi.ArgumentList.Add(consoleSocket);
        psi.ArgumentList.Add("--pid-file");
        psi.ArgumentList.Add(pidFile);
        psi.ArgumentList.Add(id);
        return psi;
    }

    /// <summary>`RUNTIME start ID`: runs the process of a created container; the runtime's error text when it fails.</summary>
    public async Task<string?> StartAsync(string id, CancellationToken cancellationToken)
    {
        var r = await RunToolAsync(cancellationToken, "start", id).ConfigureAwait(false);
        return r.ExitCode == 0 ? null : (r.StdErr + r.StdOut).Trim();
    }

    /// <summary>A start info for `RUNTIME exec --process FILE ID` (foreground).</summary>
    public ProcessStartInfo ExecStartInfo(string id, string processJsonPath)
    {
        var psi = Base();
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add("--process");
        psi.ArgumentList.Add(processJsonPath);
        psi.ArgumentList.Add(id);
        return psi;
    }

    public async Task<bool> KillAsync(string id, int signal, CancellationToken cancellationToken)
    {
        var r = await RunToolAsync(cancellationToken, "kill", id, signal.ToString(System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
        return r.ExitCode == 0;
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken) =>
        await RunToolAsync(cancellationToken, "delete", "--force", id).ConfigureAwait(false);

    /// <summary>The runtime's state for the container, or null when it does not know it.</summary>
    public async Task<OciState?> StateAsync(string id, CancellationToken cancellationToken)
    {
        var r = await RunToolAsync(cancellationToken, "state", id).ConfigureAwait(false);
        if (r.ExitCode != 0)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(r.StdOut, RuntimeJsonContext.Default.OciState);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The host pids of every process in the container.</summary>
    public async Task<IReadOnlyList<int>> PidsAsync(string id, CancellationToken cancellationToken)
    {
        var r = await RunToolAsync(cancellationToken, "ps", "--format", "json", id).ConfigureAwait(false);
        if (r.ExitCode != 0)
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize(r.StdOut, RuntimeJsonContext.Default.ListInt32) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private ProcessStartInfo Base()
    {
        Directory.CreateDirectory(StateRoot);
        var psi = new ProcessStartInfo(ExecutablePath) { UseShellExecute = false };
        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(StateRoot);
        return psi;
    }

    internal async Task<(int ExitCode, string StdOut, string StdErr)> RunToolAsync(CancellationToken cancellationToken, params string[] args)
    {
        var psi = Base();
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        using var p = Process.Start(psi) ?? throw new GantryException($"cannot start {ExecutablePath}");
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (p.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
