// Owns: a read-only stream that checks size and digest of what passes through it, failing at end of stream.

namespace Gantry.Oci;

/// <summary>
/// Wraps a stream and hashes every byte read; when the inner stream ends it checks the byte count and the digest
/// and throws <see cref="DigestMismatchException"/> on any difference. Reading past the expected size also fails.
/// </summary>
public sealed class VerifyingStream : Stream
{
    private readonly Stream _inner;
    private readonly DigestHasher _hash;
    private readonly bool _leaveOpen;
    private readonly string _what;
    private long _read;
    private bool _verified;

    public VerifyingStream(Stream inner, Digest expected, long expectedSize, string? what = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        Expected = expected;
        ExpectedSize = expectedSize;
        _hash = expected.CreateHasher();
        _leaveOpen = leaveOpen;
        _what = what ?? expected.ToString();
    }

    public Digest Expected { get; }

    /// <summary>The expected size, or -1 when unknown.</summary>
    public long ExpectedSize { get; }

    public long BytesRead => _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => ExpectedSize >= 0 ? ExpectedSize : throw new NotSupportedException();

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = _inner.Read(buffer);
        return Account(buffer[..n]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Account(buffer.Span[..n]);
    }

    private int Account(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0)
        {
            Verify();
            return 0;
        }

        _read += data.Length;
        if (ExpectedSize >= 0 && _read > ExpectedSize)
        {
            throw new DigestMismatchException($"{_what}: more data than the expected {ExpectedSize} bytes");
        }

        _hash.AppendData(data);
        return data.Length;
    }

    private void Verify()
    {
        if (_verified)
        {
            return;
        }

        _verified = true;
        if (ExpectedSize >= 0 && _read != ExpectedSize)
        {
            throw new DigestMismatchException($"{_what}: got {_read} bytes, expected {ExpectedSize} (truncated or corrupt)");
        }

        var actual = Digest.FromHash(Expected.Algorithm, _hash.GetHashAndReset());
        if (actual != Expected)
        {
            throw new DigestMismatchException($"{_what}: content digest is {actual}, expected {Expected}");
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
