// Owns: the on-disk index of build-step results under $ROOT/build/cache, keyed by cache key.
using System.Text.Json;
using Gantry.Oci;

namespace Gantry.Build.Cache;

/// <summary>
/// One small JSON file per cache key ($ROOT/build/cache/ab/abcdef….json), written with temp file + rename so a crash never
/// leaves a half-written entry. An entry is only trusted when the blob it names is still in the content store.
/// </summary>
public sealed class BuildCacheIndex
{
    private readonly string _dir;

    public BuildCacheIndex(string buildDir)
    {
        ArgumentNullException.ThrowIfNull(buildDir);
        _dir = Path.Combine(buildDir, "cache");
    }

    public string Directory => _dir;

    private string PathFor(CacheKey key) => Path.Combine(_dir, key.Hex[..2], key.Hex + ".json");

    /// <summary>The entry for <paramref name="key"/>, or null when absent, unreadable or its layer blob is gone.</summary>
    public async Task<StepCacheEntry?> TryGetAsync(CacheKey key, IBlobReader blobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        var path = PathFor(key);
        StepCacheEntry? entry;
        try
        {
            var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            entry = JsonSerializer.Deserialize(bytes, BuildJsonContext.Default.StepCacheEntry);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }

        if (entry is null)
        {
            return null;
        }

        if (entry.Layer is not null && (entry.DiffId is null || !await blobs.ExistsAsync(entry.Layer.Digest, cancellationToken).ConfigureAwait(false)))
        {
            return null;
        }

        return entry;
    }

    public async Task PutAsync(CacheKey key, StepCacheEntry entry, CancellationToken cancellationToken)
    {
        var path = PathFor(key);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(tmp, JsonSerializer.SerializeToUtf8Bytes(entry, BuildJsonContext.Default.StepCacheEntry), cancellationToken).ConfigureAwait(false);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Removes every entry (gantry builder prune); returns how many were removed.</summary>
    public int Prune()
    {
        if (!System.IO.Directory.Exists(_dir))
        {
            return 0;
        }

        var count = System.IO.Directory.EnumerateFiles(_dir, "*.json", SearchOption.AllDirectories).Count();
        System.IO.Directory.Delete(_dir, recursive: true);
        return count;
    }
}
