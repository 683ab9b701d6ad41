// Owns: the optional binding to libdeflate (Debian's libdeflate0): one whole chunk into one gzip member, about twice as fast as zlib-ng at the same level.
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Gantry.Snapshots.Native;

/// <summary>
/// libdeflate compresses a whole buffer at once rather than a stream, which is exactly what a chunk of
/// <see cref="IO.ParallelGzipStream"/> is; on W1's text it does level 6 at ~80 MB/s per core where zlib-ng does ~41, at
/// the same size. The library is loaded on first use with <see cref="NativeLibrary.TryLoad(string, out nint)"/>; when it
/// is missing (or <c>GANTRY_LIBDEFLATE=0</c>), <see cref="IsAvailable"/> is false and callers use zlib-ng through
/// <see cref="System.IO.Compression.GZipStream"/>. Compressors are not thread-safe, so each is used by one thread at a
/// time, taken from and returned to a small per-level pool.
/// </summary>
internal static unsafe class LibDeflate
{
    /// <summary>
    /// Names the engine in cache keys: a member compressed by libdeflate is not what zlib-ng would write, nor perhaps what
    /// another libdeflate release would. The library exports no version, so the name carries a fingerprint: the sha256 of
    /// a fixed sample compressed at level 6 (null when the library is not loaded).
    /// </summary>
    public static string? EngineName => LazyEngineName.Value;

    private const int MaxLevel = 12;

    private static readonly Api? Loaded = Load();
    private static readonly ConcurrentBag<nint>[] Pools = MakePools();
    private static readonly Lazy<string?> LazyEngineName = new(Fingerprint);

    /// <summary>Whether gzip members can be compressed by libdeflate in this process.</summary>
    public static bool IsAvailable => Loaded is not null;

    /// <summary>The most bytes a gzip member of <paramref name="length"/> input bytes can take (any level).</summary>
    public static int Bound(int length) => checked(length + (length / 8) + 1024);

    /// <summary>
    /// Compresses <paramref name="input"/> into <paramref name="output"/> as one complete gzip member at
    /// <paramref name="level"/> (1–12); returns the member's length. <paramref name="output"/> must hold
    /// <see cref="Bound"/> bytes.
    /// </summary>
    public static int GzipCompress(int level, ReadOnlySpan<byte> input, Span<byte> output)
    {
        var api = Loaded ?? throw new InvalidOperationException("libdeflate is not loaded; check LibDeflate.IsAvailable first");
        ArgumentOutOfRangeException.ThrowIfLessThan(level, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, MaxLevel);
        ArgumentOutOfRangeException.ThrowIfLessThan(output.Length, Bound(input.Length), nameof(output));
        var pool = Pools[level];
        if (!pool.TryTake(out var compressor))
        {
            compressor = api.Alloc(level);
            if (compressor == 0)
            {
                throw new OutOfMemoryException($"libdeflate could not allocate a compressor at level {level}");
            }
        }

        try
        {
            nuint written;
            fixed (byte* inPtr = input)
            fixed (byte* outPtr = output)
            {
                written = api.Compress(compressor, inPtr, (nuint)input.Length, outPtr, (nuint)output.Length);
            }

            return written == 0
                ? throw new InvalidOperationException($"libdeflate did not fit {input.Length} bytes in {output.Length} (a bound error)")
                : checked((int)written);
        }
        finally
        {
            pool.Add(compressor);
        }
    }

    private static string? Fingerprint()
    {
        if (!IsAvailable)
        {
            return null;
        }

        // Text with repeats at several distances and a stretch of noise: matches, literals and both Huffman code kinds.
        var sample = new byte[48 * 1024];
        var x = 0x2545F4914F6CDD1DUL;
        for (var i = 0; i < sample.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            sample[i] = i % 4096 < 3072 ? (byte)("gantry layer chunk "[(i / 7) % 19] ^ (i % 97 == 0 ? 1 : 0)) : (byte)x;
        }

        var output = new byte[Bound(sample.Length)];
        var length = GzipCompress(6, sample, output);
        return "libdeflate-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(output.AsSpan(0, length)))[..16];
    }

    private static ConcurrentBag<nint>[] MakePools()
    {
        var pools = new ConcurrentBag<nint>[MaxLevel + 1];
        for (var i = 0; i < pools.Length; i++)
        {
            pools[i] = [];
        }

        return pools;
    }

    private static Api? Load()
    {
        if (Environment.GetEnvironmentVariable("GANTRY_LIBDEFLATE") == "0")
        {
            return null;
        }

        if (!NativeLibrary.TryLoad("libdeflate.so.0", out var handle))
        {
            return null;
        }

        if (!NativeLibrary.TryGetExport(handle, "libdeflate_alloc_compressor", out var alloc)
            || !NativeLibrary.TryGetExport(handle, "libdeflate_gzip_compress", out var compress))
        {
            NativeLibrary.Free(handle);
            return null;
        }

        return new Api(
            (delegate* unmanaged<int, nint>)alloc,
            (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint>)compress);
    }

    private sealed class Api(delegate* unmanaged<int, nint> alloc, delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint> compress)
    {
        public nint Alloc(int level) => alloc(level);

        public nuint Compress(nint compressor, byte* input, nuint inputLength, byte* output, nuint outputLength)
            => compress(compressor, input, inputLength, output, outputLength);
    }
}
