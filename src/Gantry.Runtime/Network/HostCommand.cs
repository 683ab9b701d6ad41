// Owns: running host networking tools (ip, iptables, sysctl) and turning their failures into clear errors.
using System.Diagnostics;
using Gantry.Oci;

namespace Gantry.Runtime.Network;

internal static class HostCommand
{
    public static async Task<(int ExitCode, string Output)> TryRunAsync(string file, CancellationToken cancellationToken, params string[] args)
    {
        var path = OciRuntime.Which(file) ?? file;
        var psi = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            using var p = Process.Start(psi)!;
            p.StandardInput.Close();
            var o = p.StandardOutput.ReadToEndAsync(cancellationToken);
            var e = p.StandardError.ReadToEndAsync(cancellationToken);
            await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return (p.ExitCode, (await o.ConfigureAwait(false)) + (await e.ConfigureAwait(false)));
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (127, $"{file}: {ex.Message}");
        }
    }

    public static async Task RunAsync(string file, CancellationToken cancellationToken, params string[] args)
    {
        var (code, output) = await TryRunAsync(file, cancellationToken, args).ConfigureAwait(false);
        if (code != 0)
        {
            throw new GantryException($"network setup failed running '{file} {string.Join(' ', args)}': {output.Trim()} (bridge networking needs root, iproute2 and iptables; use --network host instead)");
        }
    }
}
