// Owns: remembering which registry repositories hold which blobs, so a push can mount instead of uploading.
using Gantry.Oci;

namespace Gantry.Registry.Client.Transfer;

/// <summary>
/// A small append-only file of "REGISTRY REPOSITORY DIGEST" lines (like docker's distribution metadata): pulls and pushes
/// record where a blob lives; a push to another repository of the same registry then tries a cross-repository mount first.
/// </summary>
public sealed class BlobSourceIndex
{
    private readonly string? _path;
    private readonly Lock _lock = new();
    private Dictionary<string, List<string>>? _entries;

    /// <param name="path">The file; null keeps the index in memory only.</param>
    public BlobSourceIndex(string? path)
    {
        _path = path;
    }

    public IReadOnlyList<string> RepositoriesFor(string registry, Digest digest)
    {
        lock (_lock)
        {
            Load();
            return _entries!.TryGetValue(Key(registry, digest), out var repos) ? [.. repos] : [];
        }
    }

    public void Record(string registry, string repository, Digest digest)
    {
        lock (_lock)
        {
            Load();
            var key = Key(registry, digest);
            if (!_entries!.TryGetValue(key, out var repos))
            {
                _entries[key] = repos = [];
            }

            if (repos.Contains(repository))
            {
                return;
            }

            repos.Add(repository);
            if (_path is not null)
            {
                try
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
                    File.AppendAllText(_path, $"{registry} {repository} {digest}\n");
                }
                catch (IOException)
                {
                    // Only a hint for later pushes: losing it costs an upload, never correctness.
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }

    private static string Key(string registry, Digest digest) => registry + " " + digest;

    private void Load()
    {
        if (_entries is not null)
        {
            return;
        }

        _entries = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (_path is null || !File.Exists(_path))
        {
            return;
        }

        foreach (var line in File.ReadLines(_path))
        {
            var parts = line.Split(' ');
            if (parts.Length == 3 && Digest.TryParse(parts[2], out var d))
            {
                var key = Key(parts[0], d);
                if (!_entries.TryGetValue(key, out var repos))
                {
                    _entries[key] = repos = [];
                }

                if (!repos.Contains(parts[1]))
                {
                    repos.Add(parts[1]);
                }
            }
        }
    }
}
