// Owns: the content+metadata checksum of a COPY/ADD step's planned entries (its cache-key input), hashing in parallel.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gantry.Build.Context;
using Gantry.Build.Native;

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
                    hashes[i] = e.Content is { } bytes ? SHA256.HashData(bytes.Span) : SHA256.HashData(ReadOnlySpan<byte>.Empty);
                }
            }
        });

        using var total = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var result = new List<PlannedEntry>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var line = string.Create(CultureInfo.InvariantCulture, $"{e.Path}\0{(int)e.Kind}\0{e.Uid}:{e.Gid}\0{e.Mode}\0{e.LinkTarget}\0{(hashes[i] is null ? string.Empty : Convert.ToHexStringLower(hashes[i]))}\n");
            total.AppendData(Encoding.UTF8.GetBytes(line));
            result.Add(hashes[i] is null ? e : e with { ContentHash = hashes[i] });
        }

        return (Convert.ToHexStringLower(total.GetHashAndReset()), result);
    }
}
