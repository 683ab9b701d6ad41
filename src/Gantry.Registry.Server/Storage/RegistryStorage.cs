// Owns: the registry's on-disk layout: global content-addressed blobs, per-repository links, tags, referrers, uploads.
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gantry.Oci;
using Gantry.Registry.Server.Http;

namespace Gantry.Registry.Server.Storage;

/// <summary>
/// Storage of one registry, shared with nothing else:
/// <c>blobs/ALG/HH/HEX</c> (read-only, renamed into place after the digest check),
/// <c>repositories/NAME/_layers/ALG/HEX</c> (which blobs a repository may serve),
/// <c>repositories/NAME/_manifests/revisions/ALG/HEX</c> (holding the media type), <c>…/_manifests/tags/TAG</c> (holding the digest),
/// <c>repositories/NAME/_referrers/SUBJECT/REFERRER</c> (a descriptor), <c>uploads/ID/</c> and <c>tmp/</c>.
/// Any blob a repository link or a manifest points at is touched (mtime) under a per-digest lock, and GC deletes only
/// unmarked blobs older than its grace period under the same lock, so pushes in flight never lose their blobs.
/// </summary>
public sealed partial class RegistryStorage
{
    private const int BufferSize = 256 * 1024;
    private const int AppendBatch = 128 * 1024;
    private readonly ConcurrentDictionary<string, UploadSession> _uploads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Repo, string Digest), CachedManifest> _manifestCache = new();
    private readonly ConcurrentDictionary<(string Repo, string Tag), Digest> _tagCache = new();
    private readonly object[] _stripes = Enumerable.Range(0, 64).Select(_ => new object()).ToArray();

    public RegistryStorage(string root, bool fsync = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        Fsync = fsync;
        Directory.CreateDirectory(BlobsDir);
        Directory.CreateDirectory(RepositoriesDir);
        Directory.CreateDirectory(UploadsDir);
        Directory.CreateDirectory(TmpDir);
    }

    public string Root { get; }

    public bool Fsync { get; }

    private string BlobsDir => Path.Combine(Root, "blobs");

    private string RepositoriesDir => Path.Combine(Root, "repositories");

    private string UploadsDir => Path.Combine(Root, "uploads");

    private string TmpDir => Path.Combine(Root, "tmp");

    /// <summary>Number of uploads in progress (for metrics).</summary>
    public int ActiveUploads => _uploads.Count;

    internal sealed record CachedManifest(byte[] Bytes, string MediaType);

    public string BlobPath(Digest digest) => Path.Combine(BlobsDir, digest.Algorithm, digest.Encoded[..2], digest.Encoded);

    private string RepoDir(string repo) => Path.Combine(RepositoriesDir, repo);

    private string LayerLink(string repo, Digest d) => Path.Combine(RepoDir(repo), "_layers", d.Algorithm, d.Encoded);

    private string RevisionPath(string repo, Digest d) => Path.Combine(RepoDir(repo), "_manifests", "revisions", d.Algorithm, d.Encoded);

    private string TagsDir(string repo) => Path.Combine(RepoDir(repo), "_manifests", "tags");

    private string ReferrersDir(string repo, Digest subject) => Path.Combine(RepoDir(repo), "_referrers", $"{subject.Algorithm}-{subject.Encoded}");

    private object Stripe(Digest d) => _stripes[(int)((uint)string.GetHashCode(d.Encoded, StringComparison.Ordinal) % (uint)_stripes.Length)];

    public bool RepositoryExists(string repo) => Directory.Exists(RepoDir(repo));

    // ---------------------------------------------------------------- blobs

    /// <summary>The stored blob's size when <paramref name="repo"/> may serve it, else null.</summary>
    public long? GetBlobSize(string repo, Digest digest)
    {
        if (!File.Exists(LayerLink(repo, digest)))
        {
            return null;
        }

        var info = new FileInfo(BlobPath(digest));
        return info.Exists ? info.Length : null;
    }

    /// <summary>Makes a stored blob servable from a repository (mount, re-upload); false when the blob is not stored.</summary>
    public bool LinkBlob(string repo, Digest digest)
    {
        lock (Stripe(digest))
        {
            var path = BlobPath(digest);
            if (!File.Exists(path))
            {
                return false;
            }

            Touch(path);
            var link = LayerLink(repo, digest);
            if (!File.Exists(link))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(link)!);
                File.WriteAllBytes(link, []);
            }

            return true;
        }
    }

    /// <summary>Removes a blob from a repository (the bytes go when GC finds nothing references them).</summary>
    public bool UnlinkBlob(string repo, Digest digest)
    {
        var link = LayerLink(repo, digest);
        if (!File.Exists(link))
        {
            return false;
        }

        File.Delete(link);
        return true;
    }

    private static void Touch(string path)
    {
        try
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    // ---------------------------------------------------------------- uploads

    public UploadSession StartUpload(string repo)
    {
        var id = Guid.NewGuid().ToString("D");
        var dir = Path.Combine(UploadsDir, id);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "repository"), repo);
        File.WriteAllBytes(Path.Combine(dir, "data"), []);
        var session = new UploadSession(id, repo, dir, 0, IncrementalHash.CreateHash(HashAlgorithmName.SHA256));
        _uploads[id] = session;
        return session;
    }

    /// <summary>Finds an upload of <paramref name="repo"/> (also one that survived a restart), or null.</summary>
    public UploadSession? GetUpload(string repo, string id)
    {
        if (!Guid.TryParseExact(id, "D", out _))
        {
            return null;
        }

        if (_uploads.TryGetValue(id, out var s))
        {
            return string.Equals(s.Repository, repo, StringComparison.Ordinal) && !s.Closed ? s : null;
        }

        var dir = Path.Combine(UploadsDir, id);
        var repoFile = Path.Combine(dir, "repository");
        var data = Path.Combine(dir, "data");
        if (!File.Exists(repoFile) || !File.Exists(data) || !string.Equals(File.ReadAllText(repoFile), repo, StringComparison.Ordinal))
        {
            return null;
        }

        var restored = new UploadSession(id, repo, dir, new FileInfo(data).Length, hasher: null);
        return _uploads.GetOrAdd(id, restored);
    }

    /// <summary>
    /// Appends a request body to an upload, hashing as it writes. The offset always equals the bytes on disk, even when
    /// the client disconnects mid-body. Returns the number of bytes appended.
    /// </summary>
    public async Task<long> AppendAsync(UploadSession session, PipeReader body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(body);
        long appended = 0;
        var ok = false;
        using var file = File.OpenHandle(session.DataPath, FileMode.Open, FileAccess.Write, FileShare.Read);
        var offset = session.Offset;
        var synced = offset; // writeback has been started for everything below this
        var segments = new List<ReadOnlyMemory<byte>>(64);
        try
        {
            while (true)
            {
                // Wait for a good handful of Kestrel's 4 KiB blocks and write them with one pwritev, not one pwrite each.
                var result = await body.ReadAtLeastAsync(AppendBatch, cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                segments.Clear();
                foreach (var segment in buffer)
                {
                    segments.Add(segment);
                    session.Hasher?.AppendData(segment.Span);
                }

                if (segments.Count > 0)
                {
                    RandomAccess.Write(file, segments, offset);
                    offset += buffer.Length;
                    appended += buffer.Length;
                }

                body.AdvanceTo(buffer.End);
                if (Fsync && offset - synced >= FileSync.WritebackChunk)
                {
                    // Start writeback now, so the fdatasync at commit has little left to wait for.
                    FileSync.StartWriteback(file, synced, offset - synced);
                    synced = offset;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            ok = true;
        }
        finally
        {
            if (!ok)
            {
                // The hash may be ahead of or behind the file: drop it, and trust only what reached the disk.
                session.ReleaseHasher();
            }

            session.Offset = ok ? session.Offset + appended : RandomAccess.GetLength(file);
            session.LastActivity = DateTimeOffset.UtcNow;
        }

        return appended;
    }

    /// <summary>
    /// Verifies the upload against <paramref name="expected"/> and renames it into place, then links it into the
    /// repository. On mismatch the upload is discarded and DIGEST_INVALID is thrown: nothing is stored.
    /// </summary>
    public async Task CommitUploadAsync(UploadSession session, Digest expected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        Digest actual;
        if (session.Hasher is not null && expected.Algorithm == Digest.Sha256)
        {
            actual = Digest.FromHash(Digest.Sha256, session.Hasher.GetHashAndReset());
        }
        else
        {
            using var hasher = Digest.CreateHasher(expected.Algorithm);
            var stream = new FileStream(session.DataPath, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
            await using (stream.ConfigureAwait(false))
            {
                var buf = System.Buffers.ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    int n;
                    while ((n = await stream.ReadAsync(buf.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        hasher.AppendData(buf, 0, n);
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buf);
                }
            }

            actual = Digest.FromHash(expected.Algorithm, hasher.GetHashAndReset());
        }

        if (actual != expected)
        {
            CancelUpload(session);
            throw RegistryError.DigestInvalid($"expected {expected}, got {actual}");
        }

        if (Fsync)
        {
            using var handle = File.OpenHandle(session.DataPath, FileMode.Open, FileAccess.ReadWrite);
            FileSync.FlushData(handle);
        }

        var target = BlobPath(expected);
        lock (Stripe(expected))
        {
            if (File.Exists(target))
            {
                Touch(target);
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.SetUnixFileMode(session.DataPath, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                File.Move(session.DataPath, target, overwrite: false);
                Touch(target);
            }

            var link = LayerLink(session.Repository, expected);
            if (!File.Exists(link))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(link)!);
                File.WriteAllBytes(link, []);
            }
        }

        RemoveUpload(session);
    }

    public void CancelUpload(UploadSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        RemoveUpload(session);
    }

    private void RemoveUpload(UploadSession session)
    {
        session.Closed = true;
        session.ReleaseHasher();
        _uploads.TryRemove(session.Id, out _);
        try
        {
            Directory.Delete(session.Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    // ---------------------------------------------------------------- manifests

    /// <summary>Resolves a tag to a digest, or null.</summary>
    public Digest? ResolveTag(string repo, string tag)
    {
        if (_tagCache.TryGetValue((repo, tag), out var cached))
        {
            return cached;
        }

        var path = Path.Combine(TagsDir(repo), tag);
        if (!File.Exists(path))
        {
            return null;
        }

        if (!Digest.TryParse(File.ReadAllText(path).Trim(), out var d))
        {
            return null;
        }

        _tagCache[(repo, tag)] = d;
        return d;
    }

    /// <summary>Reads a manifest of <paramref name="repo"/> by digest: its bytes and media type, or null.</summary>
    public async ValueTask<(byte[] Bytes, string MediaType)?> GetManifestAsync(string repo, Digest digest, CancellationToken cancellationToken)
    {
        var key = (repo, digest.ToString());
        if (_manifestCache.TryGetValue(key, out var hit))
        {
            return (hit.Bytes, hit.MediaType);
        }

        var rev = RevisionPath(repo, digest);
        string mediaType;
        byte[] bytes;
        try
        {
            mediaType = (await File.ReadAllTextAsync(rev, cancellationToken).ConfigureAwait(false)).Trim();
            bytes = await File.ReadAllBytesAsync(BlobPath(digest), cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        if (bytes.Length <= 256 * 1024)
        {
            if (_manifestCache.Count > 8192)
            {
                _manifestCache.Clear();
            }

            _manifestCache[key] = new CachedManifest(bytes, mediaType);
        }

        return (bytes, mediaType);
    }

    public bool HasManifest(string repo, Digest digest) => File.Exists(RevisionPath(repo, digest)) && File.Exists(BlobPath(digest));

    /// <summary>
    /// Stores a validated manifest: every referenced blob and child must already be in the repository (else
    /// MANIFEST_BLOB_UNKNOWN), then the bytes go in as a blob, the revision and tag are written atomically.
    /// </summary>
    public async Task PutManifestAsync(string repo, string? tag, byte[] bytes, Digest digest, ManifestInfo info, CancellationToken cancellationToken, bool verifyReferences = true)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(info);
        Digest[] pinned = [.. info.Blobs, .. info.Children, digest];
        Pin(pinned);
        try
        {
            await PutManifestPinnedAsync(repo, tag, bytes, digest, info, verifyReferences, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Unpin(pinned);
        }
    }

    private async Task PutManifestPinnedAsync(string repo, string? tag, byte[] bytes, Digest digest, ManifestInfo info, bool verifyReferences, CancellationToken cancellationToken)
    {
        foreach (var blob in verifyReferences ? info.Blobs : [])
        {
            if (!TouchIfLinked(repo, blob))
            {
                throw RegistryError.ManifestBlobUnknown(blob.ToString());
            }
        }

        foreach (var child in verifyReferences ? info.Children : [])
        {
            if (!File.Exists(RevisionPath(repo, child)) || !TouchIfStored(child))
            {
                throw RegistryError.ManifestBlobUnknown(child.ToString());
            }
        }

        // The manifest bytes become a blob like any other.
        var target = BlobPath(digest);
        if (!File.Exists(target))
        {
            var tmp = Path.Combine(TmpDir, Guid.NewGuid().ToString("N"));
            await WriteFileAsync(tmp, bytes, Fsync, cancellationToken).ConfigureAwait(false);
            File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            lock (Stripe(digest))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                try
                {
                    File.Move(tmp, target, overwrite: false);
                }
                catch (IOException) when (File.Exists(target))
                {
                    File.Delete(tmp);
                }

                Touch(target);
            }
        }
        else if (!TouchIfStored(digest))
        {
            throw new RegistryError(500, "UNKNOWN", "manifest blob vanished while storing it; retry the push");
        }

        await WriteAtomicAsync(RevisionPath(repo, digest), Encoding.UTF8.GetBytes(info.MediaType), cancellationToken).ConfigureAwait(false);
        LinkBlob(repo, digest);
        _manifestCache[(repo, digest.ToString())] = new CachedManifest(bytes, info.MediaType);
        if (info.Subject is { } subject)
        {
            await WriteAtomicAsync(Path.Combine(ReferrersDir(repo, subject), $"{digest.Algorithm}-{digest.Encoded}"),
                ReferrerDescriptor(digest, bytes.Length, info), cancellationToken).ConfigureAwait(false);
        }

        if (tag is not null)
        {
            await WriteAtomicAsync(Path.Combine(TagsDir(repo), tag), Encoding.UTF8.GetBytes(digest.ToString()), cancellationToken).ConfigureAwait(false);
            _tagCache[(repo, tag)] = digest;
        }
    }

    private bool TouchIfLinked(string repo, Digest blob)
    {
        lock (Stripe(blob))
        {
            var path = BlobPath(blob);
            if (!File.Exists(path) || !File.Exists(LayerLink(repo, blob)))
            {
                return false;
            }

            Touch(path);
            return true;
        }
    }

    private bool TouchIfStored(Digest blob)
    {
        lock (Stripe(blob))
        {
            var path = BlobPath(blob);
            if (!File.Exists(path))
            {
                return false;
            }

            Touch(path);
            return true;
        }
    }

    private static byte[] ReferrerDescriptor(Digest digest, long size, ManifestInfo info)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("mediaType", info.MediaType);
            w.WriteString("digest", digest.ToString());
            w.WriteNumber("size", size);
            if (info.EffectiveArtifactType is { } at)
            {
                w.WriteString("artifactType", at);
            }

            if (info.AnnotationsJson is { } ann)
            {
                w.WritePropertyName("annotations");
                w.WriteRawValue(ann, skipInputValidation: true);
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Deletes a manifest revision, every tag pointing at it and its referrer entry. False when unknown.</summary>
    public bool DeleteManifest(string repo, Digest digest)
    {
        var rev = RevisionPath(repo, digest);
        if (!File.Exists(rev))
        {
            return false;
        }

        var cached = _manifestCache.TryRemove((repo, digest.ToString()), out var c) ? c.Bytes : null;
        byte[]? bytes = cached;
        if (bytes is null && File.Exists(BlobPath(digest)))
        {
            bytes = File.ReadAllBytes(BlobPath(digest));
        }

        File.Delete(rev);
        foreach (var tag in ListTags(repo))
        {
            if (ResolveTag(repo, tag) == digest)
            {
                DeleteTag(repo, tag);
            }
        }

        if (bytes is not null)
        {
            try
            {
                if (ManifestInfo.Parse(bytes, null).Subject is { } subject)
                {
                    var entry = Path.Combine(ReferrersDir(repo, subject), $"{digest.Algorithm}-{digest.Encoded}");
                    File.Delete(entry);
                }
            }
            catch (RegistryError)
            {
            }
        }

        return true;
    }

    public bool DeleteTag(string repo, string tag)
    {
        _tagCache.TryRemove((repo, tag), out _);
        var path = Path.Combine(TagsDir(repo), tag);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>Tags of a repository in lexical order, or null when the repository is unknown.</summary>
    public IReadOnlyList<string>? ListTagsOrNull(string repo)
    {
        if (!RepositoryExists(repo))
        {
            return null;
        }

        return ListTags(repo);
    }

    public IReadOnlyList<string> ListTags(string repo)
    {
        var dir = TagsDir(repo);
        if (!Directory.Exists(dir))
        {
            return [];
        }

        var tags = Directory.EnumerateFiles(dir).Select(Path.GetFileName).Where(t => t is not null && !t.StartsWith('.')).Cast<string>().ToList();
        tags.Sort(StringComparer.Ordinal);
        return tags;
    }

    /// <summary>Every repository holding at least one manifest or blob, in lexical order.</summary>
    public IReadOnlyList<string> ListRepositories()
    {
        var result = new List<string>();
        void Walk(string dir, string prefix)
        {
            foreach (var sub in Directory.EnumerateDirectories(dir))
            {
                var name = Path.GetFileName(sub);
                if (name.StartsWith('_'))
                {
                    continue;
                }

                var repo = prefix.Length == 0 ? name : prefix + "/" + name;
                if (Directory.Exists(Path.Combine(sub, "_manifests")) || Directory.Exists(Path.Combine(sub, "_layers")))
                {
                    result.Add(repo);
                }

                Walk(sub, repo);
            }
        }

        Walk(RepositoriesDir, string.Empty);
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    /// <summary>The referrer descriptors (raw JSON objects) of <paramref name="subject"/>, optionally filtered by artifact type.</summary>
    public IReadOnlyList<byte[]> ListReferrers(string repo, Digest subject, string? artifactType)
    {
        var dir = ReferrersDir(repo, subject);
        var result = new List<byte[]>();
        if (!Directory.Exists(dir))
        {
            return result;
        }

        foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(file).StartsWith('.'))
            {
                continue;
            }

            byte[] json;
            try
            {
                json = File.ReadAllBytes(file);
            }
            catch (FileNotFoundException)
            {
                continue;
            }

            if (artifactType is not null)
            {
                using var doc = JsonDocument.Parse(json);
                if (!doc.RootElement.TryGetProperty("artifactType", out var at) || !string.Equals(at.GetString(), artifactType, StringComparison.Ordinal))
                {
                    continue;
                }
            }

            result.Add(json);
        }

        return result;
    }

    // ---------------------------------------------------------------- helpers

    private static async Task WriteFileAsync(string path, byte[] bytes, bool fsync, CancellationToken cancellationToken)
    {
        var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.None);
        await using (fs.ConfigureAwait(false))
        {
            await fs.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            if (fsync)
            {
                fs.Flush(flushToDisk: true);
            }
        }
    }

    private async Task WriteAtomicAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = Path.Combine(Path.GetDirectoryName(path)!, ".tmp-" + Guid.NewGuid().ToString("N"));
        await WriteFileAsync(tmp, bytes, fsync: false, cancellationToken).ConfigureAwait(false);
        File.Move(tmp, path, overwrite: true);
    }
}
