// Owns: `top` for a container: the host's `ps` output restricted to the container's processes, as docker's daemon does.
using System.Diagnostics;
using System.Globalization;
using Gantry.Oci;
using Gantry.Runtime.Stats;

namespace Gantry.Runtime.Top;

/// <summary>docker's container top result: column titles and one row of cells per process.</summary>
public sealed record TopResult(IReadOnlyList<string> Titles, IReadOnlyList<IReadOnlyList<string>> Processes);

public static class ContainerTop
{
    /// <summary>
    /// The host pids of the container's processes: the runtime's `ps`, else the cgroup of <paramref name="initPid"/>
    /// (its cgroup.procs), else just the init pid.
    /// </summary>
    public static async Task<IReadOnlyList<int>> PidsAsync(OciRuntime runtime, string id, int initPid, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var pids = await runtime.PidsAsync(id, cancellationToken).ConfigureAwait(false);
        if (pids.Count > 0)
        {
            return pids;
        }

        var fromCgroup = CgroupPaths.ForPid(initPid)?.Procs();
        if (fromCgroup is { Count: > 0 })
        {
            return fromCgroup;
        }

        return initPid > 0 && Native.Libc.ProcessExists(initPid) ? [initPid] : [];
    }

    /// <summary>
    /// Runs `ps ARGS` on the host (default -ef, with `-q PIDS` appended first as docker does, retried without it when ps refuses
    /// the mix) and keeps the rows whose PID column is one of <paramref name="pids"/>.
    /// </summary>
    public static async Task<TopResult> RunPsAsync(IReadOnlyList<string> psArgs, IReadOnlyList<int> pids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(psArgs);
        ArgumentNullException.ThrowIfNull(pids);
        var args = psArgs.Count == 0 ? ["-ef"] : string.Join(' ', psArgs).Split(' ');
        var q = "-q" + string.Join(',', pids.Select(p => p.ToString(CultureInfo.InvariantCulture)));
        var (code, output, error) = await RunAsync([.. args, q], cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            (code, output, error) = await RunAsync(args, cancellationToken).ConfigureAwait(false);
            if (code != 0)
            {
                throw new GantryException($"ps {string.Join(' ', args)} failed: {error.Trim()} (check the ps options given to top)");
            }
        }

        return Parse(output, pids);
    }

    /// <summary>docker's parsePSOutput: titles from the header, rows filtered by the PID column, the last column keeping its spaces.</summary>
    public static TopResult Parse(string output, IReadOnlyCollection<int> pids)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(pids);
        var lines = output.Split('\n');
        var titles = lines[0].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var pidIndex = Array.IndexOf(titles, "PID");
        if (pidIndex < 0)
        {
            throw new GantryException("Couldn't find PID field in ps output: pass ps options that print a PID column");
        }

        var wanted = pids.ToHashSet();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length <= pidIndex || fields[pidIndex] == "-")
            {
                continue;
            }

            if (!int.TryParse(fields[pidIndex], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                throw new GantryException($"Unexpected pid '{fields[pidIndex]}' in ps output: pass ps options whose PID column holds numbers");
            }

            if (!wanted.Contains(pid))
            {
                continue;
            }

            if (fields.Length > titles.Length && titles.Length > 0)
            {
                fields = [.. fields[..(titles.Length - 1)], string.Join(' ', fields[(titles.Length - 1)..])];
            }

            rows.Add(fields);
        }

        return new TopResult(titles, rows);
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("ps")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new GantryException("cannot start ps: install procps (apt-get install procps)");
        p.StandardInput.Close();
        var o = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var e = p.StandardError.ReadToEndAsync(cancellationToken);
        await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (p.ExitCode, await o.ConfigureAwait(false), await e.ConfigureAwait(false));
    }
}
