// Owns: sniffing and opening gzip/zstd/plain layer streams for reading and writing.
using System.IO.Compression;
using Gantry.Oci;
using Gantry.Oci.IO;
using Gantry.Snapshots.IO;

namespace Gantry.Snapshots;

internal static class Compressions
{
    /// <summary>Reads the first bytes to detect gzip (1f 8b) or zstd (28 b5 2f fd); returns a stream that still yields them.</summary>
    public static Stream Sniff(Stream input, out Compression compression)
    {
        var prefix = new byte[4];
        var n = 0;
        while (n < prefix.Length)
        {
            var r = input.Read(prefix, n, prefix.Length - n);
            if (r == 0)
            {
                break;
            }

            n += r;
        }

        compression = n >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b ? Compression.Gzip
            : n >= 4 && prefix[0] == 0x28 && prefix[1] == 0xb5 && prefix[2] == 0x2f && prefix[3] == 0xfd ? Compression.Zstd
            : Compression.None;
        return new PrefixedStream(prefix.AsMemory(0, n), input, leaveOpen: true);
    }

    public static Stream OpenRead(Stream input, Compression compression) => compression switch
    {
        Compression.Gzip => new GZipStream(input, CompressionMode.Decompress, leaveOpen: true),
        Compression.Zstd => new ZstdSharp.DecompressionStream(input, leaveOpen: true),
        _ => input,
    };

    public static Stream OpenWrite(Stream output, Compression compression, int? level, GzipMemberCache? cache = null) => compression switch
    {
        // Gzip: independent members compressed on all cores (deterministic; see ParallelGzipStream), reused from the cache.
        Compression.Gzip => new ParallelGzipStream(output, level ?? 6, cache: cache),
        Compression.Zstd => new ZstdSharp.CompressionStream(output, level ?? 3, leaveOpen: true),
        _ => new NonClosingStream(output),
    };

    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
