// Owns: the content-addressed blob store of an OCI layout (blobs/ALG/HEX): ingest (large blobs with O_DIRECT) → fsync → verify → atomic rename → read-only.
using System.Security.Cryptography;
using Gantry.Oci;
using Gantry.Oci.IO;

namespace Gantry.Content;

/// <summary>
/// Blobs under <c>CONTENT/blobs/sha256/HEX</c>. A write goes to a temp file under <c>CONTENT/ingest</c>, is fsynced,
/// checked for size and digest, made read-only and renamed into place, so a blob is either complete and verified or absent.
/// Every write holds a GC lease (shared lock) while it runs. The blob store knows no names.
/// </summary>
public sealed class BlobStore : IBlobStore
{
    private const int BufferSize = 1 << 16;

    /// <summary>Blobs of at least this size are written with O_DIRECT (<see cref="DirectFileWriter"/>).</summary>
    internal const long DirectWriteMinimum = 1 << 20;

    public BlobStore(string contentDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(contentDirectory);
        Directory = System.IO.Path.GetFullPath(contentDirectory);
        System.IO.Directory.CreateDirectory(System.IO.Path.Combine(Directory, "blobs", Digest.Sha256));
        System.IO.Directory.CreateDirectory(IngestDirectory);
    }

    /// <summary>The content directory (the OCI layout root).</summary>
    public string Directory { get; }

    /// <summary>Where partial writes live until they are verified.</summary>
    public string IngestDirectory => System.IO.Path.Combine(Directory, "ingest");

    internal string GcLockPath => System.IO.Path.Combine(Directory, "gc.lock");

    /// <summary>The path a blob lives at (whether or not it is present).</summary>
    public string BlobPath(Digest digest) => System.IO.Path.Combine(Directory, "blobs", digest.Algorithm, digest.Encoded);

    public ValueTask<bool> ExistsAsync(Digest digest, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(File.Exists(BlobPath(digest)));

    public ValueTask<long?> GetSizeAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(BlobPath(digest));
        return ValueTask.FromResult<long?>(info.Exists ? info.Length : null);
    }

    public ValueTask<Stream> OpenReadAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        try
        {
            Stream stream = new FileStream(BlobPath(digest), FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return ValueTask.FromResult(stream);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ContentNotFoundException($"blob {digest} is not in the content store {Directory}");
        }
    }

    /// <summary>Reads a whole (small) blob, verifying its digest.</summary>
    public async Task<byte[]> ReadAllBytesAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(BlobPath(digest), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ContentNotFoundException($"blob {digest} is not in the content store {Directory}");
        }

        if (Digest.Compute(digest.Algorithm, bytes) != digest)
        {
            throw new DigestMismatchException($"blob {digest} in {Directory} is corrupt (its content no longer matches its digest): remove it and pull or load the image again");
        }

        return bytes;
    }

    public async Task WriteAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(content);
        if (File.Exists(BlobPath(expected.Digest)))
        {
            return;
        }

        await IngestAsync(expected.Digest.Algorithm, async (sink, ct) =>
        {
            await content.CopyToAsync(sink, BufferSize, ct).ConfigureAwait(false);
        }, expected.Digest, expected.Size, expected.Digest.ToString(), cancellationToken).ConfigureAwait(false);
    }

    public async Task<Digest> WriteAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var digest = Digest.Compute(content.Span);
        if (File.Exists(BlobPath(digest)))
        {
            return digest;
        }

        await IngestAsync(Digest.Sha256, (sink, ct) => sink.WriteAsync(content, ct).AsTask(), digest, content.Length, digest.ToString(), cancellationToken).ConfigureAwait(false);
        return digest;
    }

    /// <summary>Stores bytes and returns their descriptor with the given media type.</summary>
    public async Task<Descriptor> WriteAsync(string mediaType, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var digest = await WriteAsync(content, cancellationToken).ConfigureAwait(false);
        return new Descriptor { MediaType = mediaType, Digest = digest, Size = content.Length };
    }

    /// <summary>Stores a stream of unknown digest (computed while writing) and returns its descriptor.</summary>
    public Task<Descriptor> WriteAsync(string mediaType, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        return WriteAsync(mediaType, (sink, ct) => content.CopyToAsync(sink, BufferSize, ct), cancellationToken);
    }

    /// <summary>
    /// Lets <paramref name="produce"/> write the blob's bytes into a sink (e.g. a GZipStream over it); the digest and size are
    /// computed from what was written, and the blob becomes visible only once complete. Returns its descriptor.
    /// </summary>
    public async Task<Descriptor> WriteAsync(string mediaType, Func<Stream, CancellationToken, Task> produce, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(produce);
        var (digest, size) = await IngestAsync(Digest.Sha256, produce, null, -1, mediaType, cancellationToken).ConfigureAwait(false);
        return new Descriptor { MediaType = mediaType, Digest = digest, Size = size };
    }

    private async Task<(Digest Digest, long Size)> IngestAsync(string algorithm, Func<Stream, CancellationToken, Task> produce, Digest? expected, long expectedSize, string what, CancellationToken cancellationToken)
    {
        using var lease = await FileLock.AcquireAsync(GcLockPath, exclusive: false, cancellationToken).ConfigureAwait(false);
        System.IO.Directory.CreateDirectory(IngestDirectory);
        var temp = System.IO.Path.Combine(IngestDirectory, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Digest actual;
            long size;
            // Large blobs (and those of unknown size: build layers) are written around the page cache; small ones, and
            // file systems without O_DIRECT, through it.
            var direct = expectedSize < 0 || expectedSize >= DirectWriteMinimum ? DirectFileWriter.TryCreate(temp) : null;
            Stream file = (Stream?)direct ?? new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = BufferSize, Options = FileOptions.Asynchronous });
            await using (file.ConfigureAwait(false))
            {
                using var hasher = Digest.CreateHasher(algorithm);
                await using (var sink = new HashingWriteStream(file, hasher, algorithm, expectedSize, what))
                {
                    await produce(sink, cancellationToken).ConfigureAwait(false);
                    await sink.FlushAsync(cancellationToken).ConfigureAwait(false);
                    size = sink.Written;
                }

                if (direct is not null)
                {
                    Gantry.Oci.Diagnostics.PhaseTrace.Mark("blob: produced, finishing direct write");
                    await direct.FinishAsync(cancellationToken).ConfigureAwait(false);
                    Gantry.Oci.Diagnostics.PhaseTrace.Mark("blob: direct write finished (fsynced)");
                }
                else
                {
                    var buffered = (FileStream)file;
                    await buffered.FlushAsync(cancellationToken).ConfigureAwait(false);
                    buffered.Flush(flushToDisk: true);
                }

                actual = Digest.FromHash(algorithm, hasher.GetHashAndReset());
            }

            if (expectedSize >= 0 && size != expectedSize)
            {
                throw new DigestMismatchException($"blob {what}: got {size} bytes, expected {expectedSize} (truncated or corrupt)");
            }

            if (expected is { } e && actual != e)
            {
                throw new DigestMismatchException($"blob {what}: content digest is {actual}, expected {e}");
            }

            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var target = BlobPath(actual);
            System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            if (File.Exists(target))
            {
                AtomicFile.TryDelete(temp);
            }
            else
            {
                File.Move(temp, target, overwrite: true);
                Native.FsyncDirectory(System.IO.Path.GetDirectoryName(target)!);
            }

            Gantry.Oci.Diagnostics.PhaseTrace.Mark("blob: committed");
            return (actual, size);
        }
        catch
        {
            AtomicFile.TryDelete(temp);
            throw;
        }
    }

    /// <summary>Removes a blob (used by GC under its exclusive lock).</summary>
    internal bool Delete(Digest digest)
    {
        var path = BlobPath(digest);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>Every stored blob with its size.</summary>
    public IEnumerable<(Digest Digest, long Size)> Enumerate()
    {
        var root = System.IO.Path.Combine(Directory, "blobs");
        if (!System.IO.Directory.Exists(root))
        {
            yield break;
        }

        foreach (var algDir in System.IO.Directory.EnumerateDirectories(root))
        {
            var alg = System.IO.Path.GetFileName(algDir);
            foreach (var file in System.IO.Directory.EnumerateFiles(algDir))
            {
                if (Digest.TryParse($"{alg}:{System.IO.Path.GetFileName(file)}", out var d))
                {
                    yield return (d, new FileInfo(file).Length);
                }
            }
        }
    }

    /// <summary>A write-only stream that hashes what passes through and counts bytes, failing early past an expected size.</summary>
    private sealed class HashingWriteStream(Stream inner, DigestHasher hash, string algorithm, long expectedSize, string what) : Stream, IDigestingStream
    {
        public long Written { get; private set; }

        public Digest CurrentDigest => Digest.FromHash(algorithm, hash.GetCurrentHash());

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written;

        public override long Position
        {
            get => Written;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Account(buffer);
            inner.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Account(buffer.Span);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        private void Account(ReadOnlySpan<byte> data)
        {
            Written += data.Length;
            if (expectedSize >= 0 && Written > expectedSize)
            {
                throw new DigestMismatchException($"blob {what}: more data than the expected {expectedSize} bytes");
            }

            hash.AppendData(data);
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
