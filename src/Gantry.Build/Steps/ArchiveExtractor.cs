// Owns: ADD's auto-extraction of local tar archives (plain, gzip, bzip2, xz, zstd detected by magic bytes).
using Gantry.Oci;
using Gantry.Snapshots;

namespace Gantry.Build.Steps;

public static class ArchiveExtractor
{
    /// <summary>True when the file starts like a tar, gzip, bzip2, xz or zstd archive.</summary>
    public static bool IsArchive(string path)
    {
        Span<byte> head = stackalloc byte[512];
        int n;
        using (var f = File.OpenRead(path))
        {
            n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        var h = head[..n];
        if (h.Length >= 2 && h[0] == 0x1f && h[1] == 0x8b)
        {
            return true;
        }

        if (h.Length >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)
        {
            return true;
        }

        if (h.Length >= 3 && h[0] == (byte)'B' && h[1] == (byte)'Z' && h[2] == (byte)'h')
        {
            return true;
        }

        if (h.Length >= 6 && h[0] == 0xfd && h[1] == (byte)'7' && h[2] == (byte)'z' && h[3] == (byte)'X' && h[4] == (byte)'Z')
        {
            return true;
        }

        return h.Length >= 262 && h[257] == (byte)'u' && h[258] == (byte)'s' && h[259] == (byte)'t' && h[260] == (byte)'a' && h[261] == (byte)'r';
    }

    /// <summary>Extracts into <paramref name="dir"/> (flattened, confined to it); bzip2/xz go through the system tar.</summary>
    public static async Task ExtractAsync(string archive, string dir, string where, CancellationToken cancellationToken)
    {
        Span<byte> head = stackalloc byte[3];
        using (var f = File.OpenRead(archive))
        {
            _ = f.ReadAtLeast(head, 3, throwOnEndOfStream: false);
        }

        var viaTar = (head[0] == (byte)'B' && head[1] == (byte)'Z') || head[0] == 0xfd;
        try
        {
            if (viaTar)
            {
                using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("tar", ["-xf", archive, "-C", dir, "--no-same-owner"]) { UseShellExecute = false, RedirectStandardError = true })
                    ?? throw new GantryException($"{where}: cannot start tar to extract {Path.GetFileName(archive)}");
                var err = await p.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
                await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (p.ExitCode != 0)
                {
                    throw new GantryException($"{where}: cannot extract {Path.GetFileName(archive)}: {err.Trim()}");
                }

                return;
            }

            await LayerExtractor.ExtractFileAsync(archive, dir, new ExtractOptions { Mode = ExtractMode.Flatten, Sync = false, ApplyWhiteouts = false, Description = Path.GetFileName(archive) }, cancellationToken).ConfigureAwait(false);
        }
        catch (GantryException ex) when (!ex.Message.StartsWith(where, StringComparison.Ordinal))
        {
            throw new GantryException($"{where}: cannot extract {Path.GetFileName(archive)}: {ex.Message}", ex);
        }
    }
}
