// Owns: `gantry builder prune`: removing everything the builder keeps under $ROOT/build.
namespace Gantry.Build;

/// <summary>The build cache as a whole.</summary>
public static class BuildCache
{
    public sealed record PruneResult(int Entries, long Bytes);

    /// <summary>Deletes the step index, unpacked layer dirs, cache mounts and the context hash cache; returns what was removed.</summary>
    public static Task<PruneResult> PruneAsync(string storeRoot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storeRoot);
        var buildDir = Path.Combine(storeRoot, "build");
        if (!Directory.Exists(buildDir))
        {
            return Task.FromResult(new PruneResult(0, 0));
        }

        long bytes = 0;
        var entries = 0;
        foreach (var file in Directory.EnumerateFiles(buildDir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                bytes += new FileInfo(file).Length;
            }
            catch (IOException)
            {
            }

            if (file.EndsWith(".json", StringComparison.Ordinal) && file.Contains("/cache/", StringComparison.Ordinal))
            {
                entries++;
            }
        }

        Native.Dirs.RemoveAll(buildDir);
        return Task.FromResult(new PruneResult(entries, bytes));
    }
}
