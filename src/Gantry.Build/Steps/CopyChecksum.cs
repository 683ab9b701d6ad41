// Owns: the content+metadata checksum of a COPY/ADD step's planned entries (its cache-key input), hashing in parallel.
using System.Globalization;
using System.Text.Unicode;
using Gantry.Build.Context;
using Gantry.Build.Native;
using Gantry.Oci;

namespace Gantry.Build.Steps;

public static class CopyChecksum
{
    /// <summary>
    /// Hashes every entry's path, type, owner, mode, link target and content hash (from the stat cache, so unchanged files
    /// cost nothing more than the context walk's statx). Files needing a real hash are hashed on all cores. Returns the planned entries with ContentHash set.
    /// </summary>
    public static (string Checksum, IReadOnlyList<PlannedEntry> Entries) Compute(IReadOnlyList<PlannedEntry> entries, ContextHashCache cache, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(cache);
        var hashes = new byte[entries.Count][];
        Parallel.For(0, entries.Count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var e = entries[i];
            if (e.Kind == PlannedKind.File)
            {
                if (e.ContentHash is not null)
                {
                    hashes[i] = e.ContentHash;
                }
                else if (e.SourcePath is not null)
                {
                    hashes[i] = cache.GetHash(e.SourcePath, e.SourceStat ?? FileStatReader.Lstat(e.SourcePath));
                }
                else
                {
                    hashes[i] = DigestHasher.HashSha256(e.Content is { } bytes ? bytes.Span : default);
                }
            }
        });

        using var total = new DigestHasher(Digest.Sha256);
        var result = new List<PlannedEntry>(entries.Count);
        var line = new byte[1024];
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];

            // "path\0kind\0uid:gid\0mode\0link\0hex\n", UTF-8, written straight into one reused buffer.
            var tail = ((hashes[i]?.Length ?? 0) * 2) + 1;
            int written;
            while (!Utf8.TryWrite(line, CultureInfo.InvariantCulture, $"{e.Path}\0{(int)e.Kind}\0{e.Uid}:{e.Gid}\0{e.Mode}\0{e.LinkTarget}\0", out written)
                || line.Length - written < tail)
            {
                line = new byte[line.Length * 2];
            }

            if (hashes[i] is { } hash)
            {
                written += WriteHexLower(hash, line.AsSpan(written));
            }

            line[written++] = (byte)'\n';
            total.AppendData(line, 0, written);
            result.Add(hashes[i] is null ? e : e with { ContentHash = hashes[i] });
        }

        return (Convert.ToHexStringLower(total.GetHashAndReset()), result);
    }

    private static int WriteHexLower(ReadOnlySpan<byte> bytes, Span<byte> into)
    {
        const string Digits = "0123456789abcdef";
        for (var i = 0; i < bytes.Length; i++)
        {
            into[2 * i] = (byte)Digits[bytes[i] >> 4];
            into[(2 * i) + 1] = (byte)Digits[bytes[i] & 0xF];
        }

        return 2 * bytes.Length;
    }
}
