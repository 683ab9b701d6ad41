// Owns: deterministic parallel gzip: fixed-size chunks compressed on all cores as independent gzip members, written in order.
using System.Buffers;
using System.IO.Compression;

namespace Gantry.Snapshots.IO;

/// <summary>
/// A write-only gzip stream that cuts its input into fixed-size chunks (boundaries depend only on byte offsets), compresses
/// each chunk as a complete gzip member on the thread pool, and writes the members to the output in order. Concatenated
/// members are valid gzip (RFC 1952 §2.2) that Go's compress/gzip, zlib, .NET and every registry/runtime read as one stream
/// (this is what pigz/pgzip write). The output depends only on the input bytes and the level, never on timing or core count,
/// so layer digests stay reproducible. A chunk whose first 64 KiB do not compress at level 1 (already compressed or random
/// data) is stored (deflate level 0) instead of being ground through level 6 for nothing.
/// </summary>
internal sealed class ParallelGzipStream : Stream
{
    public const int DefaultChunkSize = 1 << 20;
    private const int ProbeSize = 64 * 1024;

    private readonly Stream _output;
    private readonly int _level;
    private readonly int _chunkSize;
    private readonly int _maxInFlight;
    private readonly Queue<Task<(byte[] Buffer, int Length)>> _pending = new();
    private byte[]? _current;
    private int _filled;
    private bool _wroteAny;
    private bool _disposed;

    public ParallelGzipStream(Stream output, int level, int chunkSize = DefaultChunkSize, int? workers = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 4096);
        _output = output;
        _level = level;
        _chunkSize = chunkSize;
        _maxInFlight = Math.Max(2, (workers ?? Environment.ProcessorCount) + 1);
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (!buffer.IsEmpty)
        {
            _current ??= ArrayPool<byte>.Shared.Rent(_chunkSize);
            var n = Math.Min(buffer.Length, _chunkSize - _filled);
            buffer[..n].CopyTo(_current.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == _chunkSize)
            {
                Submit();
            }
        }
    }

    /// <summary>Does not cut a chunk (that would make the output depend on flush timing); members are written as they finish.</summary>
    public override void Flush() => _output.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            try
            {
                if (_filled > 0 || !_wroteAny)
                {
                    Submit();
                }

                while (_pending.Count > 0)
                {
                    WriteOne();
                }
            }
            finally
            {
                if (_current is not null)
                {
                    ArrayPool<byte>.Shared.Return(_current);
                    _current = null;
                }
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Compresses <paramref name="length"/> bytes as one gzip member (stored when they look incompressible).</summary>
    internal static (byte[] Buffer, int Length) CompressChunk(byte[] chunk, int length, int level)
    {
        if (length == 0)
        {
            // GZipStream writes nothing at all for no input; an empty stream must still be one valid (empty) member.
            byte[] empty = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            return (empty, empty.Length);
        }

        var effective = level > 0 && LooksIncompressible(chunk, length) ? 0 : level;
        var output = new MemoryStream(effective == 0 ? length + (length / 16000 * 5) + 64 : (length / 2) + 64);
        using (var gzip = new GZipStream(output, new ZLibCompressionOptions { CompressionLevel = effective }, leaveOpen: true))
        {
            gzip.Write(chunk, 0, length);
        }

        return (output.GetBuffer(), (int)output.Length);
    }

    private static bool LooksIncompressible(byte[] chunk, int length)
    {
        if (length < 4096)
        {
            return false;
        }

        var probe = Math.Min(length, ProbeSize);
        var counter = new CountingStream();
        using (var deflate = new DeflateStream(counter, new ZLibCompressionOptions { CompressionLevel = 1 }, leaveOpen: true))
        {
            deflate.Write(chunk, 0, probe);
        }

        return counter.Count * 100 >= probe * 97L;
    }

    private void Submit()
    {
        var chunk = _current ?? ArrayPool<byte>.Shared.Rent(_chunkSize);
        var length = _filled;
        _current = null;
        _filled = 0;
        _wroteAny = true;
        _pending.Enqueue(Task.Run(() =>
        {
            try
            {
                return CompressChunk(chunk, length, _level);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
        }));
        while (_pending.Count >= _maxInFlight)
        {
            WriteOne();
        }
    }

    private void WriteOne()
    {
        var (buffer, length) = _pending.Dequeue().GetAwaiter().GetResult();
        _output.Write(buffer, 0, length);
    }

    private sealed class CountingStream : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Count;

        public override long Position { get => Count; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Count += count;

        public override void Write(ReadOnlySpan<byte> buffer) => Count += buffer.Length;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
