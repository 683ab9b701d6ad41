// Owns: online garbage collection: mark blobs reachable from manifests, sweep old unmarked blobs and abandoned uploads.
using Gantry.Oci;

namespace Gantry.Registry.Server.Storage;

/// <summary>What one garbage collection removed.</summary>
public sealed record GcResult(int BlobsDeleted, long BytesFreed, int LinksDeleted, int UploadsDeleted);

public sealed partial class RegistryStorage
{
    private readonly SemaphoreSlim _gcGate = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Digest, int> _pins = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Digest, long> _released = new();

    /// <summary>Marks blobs a manifest being stored refers to, so a concurrent sweep cannot take them.</summary>
    private void Pin(Digest[] digests)
    {
        foreach (var d in digests)
        {
            _pins.AddOrUpdate(d, 1, (_, n) => n + 1);
        }
    }

    /// <summary>Unpins, remembering when, so a sweep whose mark ran before the manifest landed still spares them.</summary>
    private void Unpin(Digest[] digests)
    {
        var now = DateTime.UtcNow.Ticks;
        foreach (var d in digests)
        {
            _released[d] = now;
            lock (Stripe(d))
            {
                if (_pins.AddOrUpdate(d, 0, (_, n) => n - 1) <= 0)
                {
                    _pins.TryRemove(new KeyValuePair<Digest, int>(d, 0));
                }
            }
        }
    }

    private bool IsPinnedSince(Digest d, long sinceTicks) =>
        _pins.ContainsKey(d) || (_released.TryGetValue(d, out var at) && at >= sinceTicks);

    /// <summary>
    /// Deletes blobs that no manifest revision in any repository references and that nothing touched within
    /// <paramref name="grace"/>, the repository links to them, and uploads idle for longer than <paramref name="uploadExpiry"/>.
    /// Safe while pushes run: a blob that is uploaded, mounted or referenced by a new manifest is touched under the same
    /// per-digest lock the sweep takes, so it is never older than the cut-off when the sweep looks at it.
    /// </summary>
    public async Task<GcResult> CollectGarbageAsync(TimeSpan grace, TimeSpan uploadExpiry, CancellationToken cancellationToken = default)
    {
        await _gcGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var started = DateTime.UtcNow;
            var cutoff = started - grace;
            var marked = await MarkAsync(cancellationToken).ConfigureAwait(false);
            int blobs = 0, links = 0;
            long bytes = 0;
            foreach (var algDir in Directory.EnumerateDirectories(BlobsDir))
            {
                var alg = Path.GetFileName(algDir);
                foreach (var file in Directory.EnumerateFiles(algDir, "*", SearchOption.AllDirectories))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!Digest.TryParse($"{alg}:{Path.GetFileName(file)}", out var digest) || marked.Contains(digest))
                    {
                        continue;
                    }

                    lock (Stripe(digest))
                    {
                        var info = new FileInfo(file);
                        if (!info.Exists || info.LastWriteTimeUtc > cutoff || IsPinnedSince(digest, started.Ticks))
                        {
                            continue;
                        }

                        bytes += info.Length;
                        info.Delete();
                        blobs++;
                    }
                }
            }

            // Links whose blob is gone (collected, or deleted by hand) are dropped too.
            foreach (var repo in ListRepositories())
            {
                var layers = Path.Combine(RepoDir(repo), "_layers");
                if (!Directory.Exists(layers))
                {
                    continue;
                }

                foreach (var link in Directory.EnumerateFiles(layers, "*", SearchOption.AllDirectories))
                {
                    var alg = Path.GetFileName(Path.GetDirectoryName(link))!;
                    if (!Digest.TryParse($"{alg}:{Path.GetFileName(link)}", out var digest))
                    {
                        continue;
                    }

                    lock (Stripe(digest))
                    {
                        if (!File.Exists(BlobPath(digest)) && File.Exists(link))
                        {
                            File.Delete(link);
                            links++;
                        }
                    }
                }
            }

            var uploads = 0;
            var uploadCutoff = DateTime.UtcNow - uploadExpiry;
            foreach (var dir in Directory.EnumerateDirectories(UploadsDir))
            {
                var id = Path.GetFileName(dir);
                if (_uploads.TryGetValue(id, out var session))
                {
                    if (session.LastActivity.UtcDateTime > uploadCutoff || !await session.Gate.WaitAsync(0, cancellationToken).ConfigureAwait(false))
                    {
                        continue;
                    }

                    try
                    {
                        RemoveUpload(session);
                        uploads++;
                    }
                    finally
                    {
                        session.Gate.Release();
                    }
                }
                else if (Directory.Exists(dir) && Directory.GetLastWriteTimeUtc(dir) <= uploadCutoff && LastWrite(Path.Combine(dir, "data")) <= uploadCutoff)
                {
                    try
                    {
                        Directory.Delete(dir, recursive: true);
                        uploads++;
                    }
                    catch (DirectoryNotFoundException)
                    {
                        // An upload that completed or was cancelled while we looked removed its own directory.
                    }
                }
            }

            foreach (var tmp in Directory.EnumerateFiles(TmpDir))
            {
                if (File.GetLastWriteTimeUtc(tmp) <= uploadCutoff)
                {
                    File.Delete(tmp);
                }
            }

            foreach (var (d, at) in _released)
            {
                if (at < started.Ticks)
                {
                    _released.TryRemove(new KeyValuePair<Digest, long>(d, at));
                }
            }

            return new GcResult(blobs, bytes, links, uploads);
        }
        finally
        {
            _gcGate.Release();
        }
    }

    private static DateTime LastWrite(string path) => File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;

    private async Task<HashSet<Digest>> MarkAsync(CancellationToken cancellationToken)
    {
        var marked = new HashSet<Digest>();
        foreach (var repo in ListRepositories())
        {
            var revisions = Path.Combine(RepoDir(repo), "_manifests", "revisions");
            if (!Directory.Exists(revisions))
            {
                continue;
            }

            foreach (var rev in Directory.EnumerateFiles(revisions, "*", SearchOption.AllDirectories))
            {
                var alg = Path.GetFileName(Path.GetDirectoryName(rev))!;
                if (!Digest.TryParse($"{alg}:{Path.GetFileName(rev)}", out var digest))
                {
                    continue;
                }

                marked.Add(digest);
                byte[] bytes;
                try
                {
                    bytes = await File.ReadAllBytesAsync(BlobPath(digest), cancellationToken).ConfigureAwait(false);
                }
                catch (FileNotFoundException)
                {
                    continue;
                }
                catch (DirectoryNotFoundException)
                {
                    continue;
                }

                try
                {
                    var info = ManifestInfo.Parse(bytes, null);
                    marked.UnionWith(info.Blobs);
                    marked.UnionWith(info.Children);
                }
                catch (Http.RegistryError)
                {
                }
            }
        }

        return marked;
    }
}
