// Owns: running an extra process in a running container (`gantry exec`) via the runtime's exec with a process.json.
using System.Diagnostics;
using System.Text.Json;
using Gantry.Oci;
using Gantry.Runtime.Spec;

namespace Gantry.Runtime;

public static class ContainerExec
{
    /// <summary>
    /// Runs <paramref name="args"/> in the running container <paramref name="id"/> (bundle <paramref name="bundleDir"/>, rootfs mounted
    /// at <paramref name="rootfs"/>), with this process's stdout/stderr (and stdin when <paramref name="interactive"/>). Returns the exit code.
    /// </summary>
    public static async Task<int> ExecAsync(OciRuntime runtime, string id, string bundleDir, string rootfs, IReadOnlyList<string> args,
        IReadOnlyList<string> env, string? user, string? workingDir, bool tty, bool interactive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var spec = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(Path.Combine(bundleDir, "config.json"), cancellationToken).ConfigureAwait(false), RuntimeJsonContext.Default.OciRuntimeSpec)
            ?? throw new GantryException($"the bundle of container {id} is damaged (config.json is empty)");
        var process = spec.Process;
        process.Args = [.. args];
        process.Terminal = tty;
        foreach (var e in env)
        {
            var key = e.Split('=', 2)[0];
            process.Env.RemoveAll(x => x.Split('=', 2)[0] == key);
            process.Env.Add(e);
        }

        if (!string.IsNullOrEmpty(workingDir))
        {
            process.Cwd = workingDir;
        }

        if (!string.IsNullOrEmpty(user))
        {
            var u = UserResolver.Resolve(rootfs, user);
            process.User = new OciUser { Uid = u.Uid, Gid = u.Gid, AdditionalGids = u.AdditionalGids.Count > 0 ? [.. u.AdditionalGids] : null };
        }

        CommandResolver.Check(rootfs, args, process.Env, process.Cwd);
        var file = Path.Combine(bundleDir, "exec-" + Guid.NewGuid().ToString("N")[..12] + ".json");
        await File.WriteAllBytesAsync(file, JsonSerializer.SerializeToUtf8Bytes(process, RuntimeJsonContext.Default.OciProcess), cancellationToken).ConfigureAwait(false);
        try
        {
            var psi = runtime.ExecStartInfo(id, file);
            psi.RedirectStandardInput = !interactive && !tty;
            using var p = Process.Start(psi) ?? throw new GantryException($"cannot start {runtime.ExecutablePath}");
            if (psi.RedirectStandardInput)
            {
                p.StandardInput.Close();
            }

            using (cancellationToken.Register(() => { try { p.Kill(); } catch (InvalidOperationException) { } }))
            {
                await p.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return p.ExitCode;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
