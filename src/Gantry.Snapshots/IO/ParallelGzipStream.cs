// Owns: deterministic parallel gzip: content-defined chunks compressed on all cores as independent gzip members, written in order.
using System.Buffers;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Gantry.Snapshots.Native;

namespace Gantry.Snapshots.IO;

/// <summary>
/// A write-only gzip stream that cuts its input into chunks, compresses each chunk as a complete gzip member on the thread
/// pool, and writes the members to the output in order. Concatenated members are valid gzip (RFC 1952 §2.2) that Go's
/// compress/gzip, zlib, .NET and every registry/runtime read as one stream (this is what pigz/pgzip write).
/// <para>
/// Chunk boundaries are content-defined (a gear rolling hash over the last 64 bytes, as in FastCDC): between half and four
/// times the average size, cut where the hash hits a mask. They depend only on the input bytes, never on write sizes,
/// timing or core count, so layer digests stay reproducible; and an edit inside one file moves only the boundaries next to
/// it, so with a <see cref="GzipMemberCache"/> every other chunk is a member already compressed by an earlier build.
/// A chunk whose first 16 KiB do not compress at level 2 (already compressed or random data) is stored (deflate level 0)
/// instead of being ground through level 6 for nothing; stored chunks are cheap and are not cached.
/// </para>
/// <para>
/// Compressible chunks go through libdeflate when it is installed (<see cref="LibDeflate"/>: a whole chunk at once, about
/// twice zlib-ng's speed), else through zlib-ng. Either way the output depends only on the input and the engine, and the
/// member cache keys name the engine.
/// </para>
/// </summary>
internal sealed class ParallelGzipStream : Stream
{
    /// <summary>
    /// The average chunk size (a power of two): 256 KiB, as pigz's blocks. An edit recompresses the one or two chunks
    /// around it (about 0.5 MiB, ~12 ms), and a member restarting its dictionary costs well under 1 % of size.
    /// </summary>
    public const int DefaultChunkSize = 256 << 10;

    /// <summary>No member holds more than this many compressed bytes (far above the largest chunk, four times the average, stored).</summary>
    internal const int MaxMemberSize = 64 << 20;

    private const int ProbeSize = 16 * 1024;
    private const int Window = 64;
    private static readonly ulong[] Gear = MakeGear();

    private readonly Stream _output;
    private readonly int _level;
    private readonly int _minSize;
    private readonly int _maxSize;
    private readonly ulong _mask;
    private readonly int _maxInFlight;
    private readonly GzipMemberCache? _cache;
    private readonly Queue<Task<Compressed>> _pending = new();
    private readonly List<GzipMember> _members = [];
    private byte[]? _current;
    private int _filled;
    private ulong _hash;
    private long _written;
    private bool _wroteAny;
    private bool _disposed;

    /// <param name="output">Where the members go, in order.</param>
    /// <param name="level">The gzip level of compressible chunks.</param>
    /// <param name="chunkSize">The average chunk size: a power of two, at least 4 KiB.</param>
    /// <param name="workers">How many chunks are compressed at once (default: the core count).</param>
    /// <param name="cache">Where to look up members compressed before (null: compress every chunk).</param>
    public ParallelGzipStream(Stream output, int level, int chunkSize = DefaultChunkSize, int? workers = null, GzipMemberCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 4096);
        if (!BitOperations.IsPow2(chunkSize))
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "the average chunk size must be a power of two");
        }

        _output = output;
        _level = level;
        _minSize = chunkSize / 2;
        _maxSize = chunkSize * 4;
        var bits = BitOperations.Log2((uint)(chunkSize / 2));
        _mask = ((1UL << bits) - 1) << (64 - bits); // the top bits: each depends on the last 64 input bytes
        _maxInFlight = Math.Max(2, (workers ?? Environment.ProcessorCount) + 1);
        _cache = cache;
    }

    /// <summary>After disposal: the members compressed here (not found in the cache), with their offsets in the output.</summary>
    internal IReadOnlyList<GzipMember> Members => _members;

    /// <summary>After disposal: how many chunks were found in the cache.</summary>
    internal int Reused { get; private set; }

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
            _current ??= ArrayPool<byte>.Shared.Rent(_maxSize);
            var scanFrom = _minSize - Window;
            if (_filled < scanFrom)
            {
                // Below the minimum size no cut can happen; the hash only needs the last 64 bytes before it.
                var n = Math.Min(buffer.Length, scanFrom - _filled);
                buffer[..n].CopyTo(_current.AsSpan(_filled));
                _filled += n;
                buffer = buffer[n..];
                continue;
            }

            var limit = Math.Min(buffer.Length, _maxSize - _filled);
            var take = FindCut(buffer[..limit]);
            var cut = take >= 0;
            if (!cut)
            {
                take = limit;
            }

            buffer[..take].CopyTo(_current.AsSpan(_filled));
            _filled += take;
            buffer = buffer[take..];
            if (cut || _filled == _maxSize)
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

    /// <summary>Feeds <paramref name="span"/> through the gear hash; returns how many bytes end the chunk, or -1 when none cuts it.</summary>
    private int FindCut(ReadOnlySpan<byte> span)
    {
        var first = Math.Max(0, _minSize - _filled - 1); // the first index whose cut gives a chunk of at least the minimum size
        var cut = FindCut(span, ref _hash, _mask, first);
        if (cut >= 0)
        {
            _hash = 0;
        }

        return cut;
    }

    /// <summary>
    /// The gear rolling hash over <paramref name="span"/>, continuing from <paramref name="hash"/>: the index after the first
    /// byte at or past <paramref name="first"/> where the hash has none of <paramref name="mask"/>'s bits, or -1 (with
    /// <paramref name="hash"/> updated). Two bytes a step: the second byte's hash is <c>(h &lt;&lt; 2) + (g0 &lt;&lt; 1) + g1</c>, so
    /// the dependency chain is one shift and one add per two bytes, and no bounds checks.
    /// </summary>
    internal static int FindCut(ReadOnlySpan<byte> span, ref ulong hash, ulong mask, int first)
    {
        var h = hash;
        ref var gear = ref MemoryMarshal.GetArrayDataReference(Gear);
        ref var bytes = ref MemoryMarshal.GetReference(span);
        var length = span.Length;
        var i = 0;
        var before = Math.Min(first, length);
        for (; i < before; i++)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, i));
        }

        for (; i + 1 < length; i += 2)
        {
            var g0 = Unsafe.Add(ref gear, Unsafe.Add(ref bytes, i));
            var g1 = Unsafe.Add(ref gear, Unsafe.Add(ref bytes, i + 1));
            var h0 = (h << 1) + g0;
            h = (h << 2) + ((g0 << 1) + g1);
            if ((h0 & mask) == 0)
            {
                hash = h0;
                return i + 1;
            }

            if ((h & mask) == 0)
            {
                hash = h;
                return i + 2;
            }
        }

        if (i < length)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, i));
            if ((h & mask) == 0)
            {
                hash = h;
                return i + 1;
            }
        }

        hash = h;
        return -1;
    }

    /// <summary>The gear table (for tests that check <see cref="FindCut(ReadOnlySpan{byte}, ref ulong, ulong, int)"/>).</summary>
    internal static ReadOnlySpan<ulong> GearTable => Gear;

    /// <summary>A fixed table of 256 pseudo-random words (SplitMix64 from a constant seed): part of the chunking format.</summary>
    private static ulong[] MakeGear()
    {
        var table = new ulong[256];
        var x = 0x9E3779B97F4A7C15UL ^ 0x6761_6e74_7279UL;
        for (var i = 0; i < table.Length; i++)
        {
            x += 0x9E3779B97F4A7C15UL;
            var z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            table[i] = z ^ (z >> 31);
        }

        return table;
    }

    /// <summary>One gzip member of <paramref name="length"/> bytes at exactly <paramref name="level"/> (0: stored, by zlib-ng;
    /// else by libdeflate when loaded), in a buffer
    /// rented from the shared pool (returned by <see cref="WriteOne"/>) unless <c>Pooled</c> is false.</summary>
    private static (byte[] Buffer, int Length, bool Pooled) Deflate(byte[] chunk, int length, int level)
    {
        if (length == 0)
        {
            // GZipStream writes nothing at all for no input; an empty stream must still be one valid (empty) member.
            byte[] empty = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            return (empty, empty.Length, false);
        }

        if (level > 0 && LibDeflate.IsAvailable)
        {
            var member = ArrayPool<byte>.Shared.Rent(LibDeflate.Bound(length));
            try
            {
                return (member, LibDeflate.GzipCompress(level, chunk.AsSpan(0, length), member), true);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(member);
                throw;
            }
        }

        var output = new PooledBufferStream(level == 0 ? length + (length / 16000 * 5) + 64 : (length / 2) + 64);
        try
        {
            using (var gzip = new GZipStream(output, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true))
            {
                gzip.Write(chunk, 0, length);
            }

            return (output.Buffer, output.Count, true);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(output.Buffer);
            throw;
        }
    }

    private static bool LooksIncompressible(byte[] chunk, int length)
    {
        if (length < 4096)
        {
            return false;
        }

        var probe = Math.Min(length, ProbeSize);
        if (SurelyCompressible(chunk.AsSpan(0, probe)))
        {
            return false;
        }

        var counter = new CountingStream();
        // Level 2, not 1: zlib-ng's level 1 uses only static Huffman codes, which cannot shrink text over a small alphabet
        // (hex, base64) that has few repeats; level 2 builds dynamic codes, so such text is compressed, not stored.
        using (var deflate = new DeflateStream(counter, new ZLibCompressionOptions { CompressionLevel = 2 }, leaveOpen: true))
        {
            deflate.Write(chunk, 0, probe);
        }

        return counter.Count * 100 >= probe * 97L;
    }

    /// <summary>
    /// True when the bytes' own symbol statistics already prove that deflate's dynamic Huffman codes alone shrink them
    /// below the 97 % bar, so the trial compression (a fresh deflater per chunk: ~0.7 ms with its tables) is skipped.
    /// A Huffman code is at most p_max + 0.086 bits per symbol above the order-0 entropy (Gallager; 1 bit when
    /// p_max ≥ 0.5), and the code tables of a 16 KiB block cost well under 0.25 bits per byte; matches only help. Text,
    /// logs and source code (4–6 bits per byte) pass; anything near 8 bits still gets the trial compression.
    /// </summary>
    internal static bool SurelyCompressible(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4096)
        {
            return false;
        }

        Span<int> counts = stackalloc int[256];
        counts.Clear();
        foreach (var b in data)
        {
            counts[b]++;
        }

        double n = data.Length;
        var entropy = 0.0;
        var max = 0;
        foreach (var c in counts)
        {
            if (c > 0)
            {
                var p = c / n;
                entropy -= p * Math.Log2(p);
                max = Math.Max(max, c);
            }
        }

        var pMax = max / n;
        var bound = entropy + (pMax < 0.5 ? pMax + 0.086 : 1.0) + 0.25;
        return bound < 8 * 0.97;
    }

    private void Submit()
    {
        var chunk = _current ?? ArrayPool<byte>.Shared.Rent(_maxSize);
        var length = _filled;
        _current = null;
        _filled = 0;
        _hash = 0;
        _wroteAny = true;
        var cache = _cache;
        var level = _level;
        _pending.Enqueue(Task.Run(() =>
        {
            try
            {
                return Compress(chunk, length, level, cache);
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

    /// <summary>One chunk on a worker: the cached member when there is one, else compressed (and hashed, to be recorded).</summary>
    private static Compressed Compress(byte[] chunk, int length, int level, GzipMemberCache? cache)
    {
        // The probe before the cache: it reads 16 KiB, while the cache key hashes the whole chunk, which would cost
        // incompressible data (never cached) a SHA-256 of every byte for nothing.
        var effective = level > 0 && LooksIncompressible(chunk, length) ? 0 : level;
        if (cache is null || effective == 0 || length < 4096)
        {
            var (plain, plainLength, plainPooled) = Deflate(chunk, length, effective);
            return new Compressed(plain, plainLength, plainPooled, null, null, Reused: false);
        }

        var key = GzipMemberCache.Key(chunk.AsSpan(0, length), level);
        if (cache.TryGet(key, out var member, out var memberLength))
        {
            return new Compressed(member, memberLength, Pooled: true, null, null, Reused: true);
        }

        var (buffer, compressedLength, pooled) = Deflate(chunk, length, level);
        return new Compressed(buffer, compressedLength, pooled, key, SHA256.HashData(buffer.AsSpan(0, compressedLength)), Reused: false);
    }

    private void WriteOne()
    {
        var done = _pending.Dequeue().GetAwaiter().GetResult();
        if (done.Key is not null && done.Sha256 is not null)
        {
            _members.Add(new GzipMember(done.Key, _written, done.Length, done.Sha256));
        }

        if (done.Reused)
        {
            Reused++;
        }

        try
        {
            _output.Write(done.Buffer, 0, done.Length);
            _written += done.Length;
        }
        finally
        {
            if (done.Pooled)
            {
                ArrayPool<byte>.Shared.Return(done.Buffer);
            }
        }
    }

    private readonly record struct Compressed(byte[] Buffer, int Length, bool Pooled, byte[]? Key, byte[]? Sha256, bool Reused);

    /// <summary>A write-only stream into an array rented from the shared pool, grown (re-rented) as needed.</summary>
    private sealed class PooledBufferStream(int capacity) : Stream
    {
        public byte[] Buffer { get; private set; } = ArrayPool<byte>.Shared.Rent(capacity);

        public int Count { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Count;

        public override long Position { get => Count; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Count + buffer.Length > Buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Buffer.Length * 2, Count + buffer.Length));
                Buffer.AsSpan(0, Count).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(Buffer);
                Buffer = bigger;
            }

            buffer.CopyTo(Buffer.AsSpan(Count));
            Count += buffer.Length;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
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
