// Owns: one in-progress blob upload: its staging file, offset, running hash and the lock serializing its chunks.
using System.Security.Cryptography;

namespace Gantry.Registry.Server.Storage;

/// <summary>An upload in progress. Bytes land in <see cref="DataPath"/>, hashed as they arrive.</summary>
public sealed class UploadSession
{
    internal UploadSession(string id, string repository, string directory, long offset, IncrementalHash? hasher)
    {
        Id = id;
        Repository = repository;
        Directory = directory;
        Offset = offset;
        Hasher = hasher;
        LastActivity = DateTimeOffset.UtcNow;
    }

    public string Id { get; }

    public string Repository { get; }

    public string Directory { get; }

    public string DataPath => Path.Combine(Directory, "data");

    /// <summary>Bytes received so far (the next chunk must start here).</summary>
    public long Offset { get; internal set; }

    /// <summary>A sha256 over bytes 0..Offset, or null when it fell out of step (then the file is re-hashed at commit).</summary>
    internal IncrementalHash? Hasher { get; set; }

    public DateTimeOffset LastActivity { get; internal set; }

    /// <summary>Serializes requests on one upload (chunks, commit, cancel, GC).</summary>
    internal SemaphoreSlim Gate { get; } = new(1, 1);

    internal bool Closed { get; set; }

    /// <summary>Drops the running hash (the upload finished, failed or was cancelled).</summary>
    internal void ReleaseHasher()
    {
        Hasher?.Dispose();
        Hasher = null;
    }
}
