// Owns: incremental hashing for digests that keeps small sha256 inputs off OpenSSL (managed code), large ones on it.
using System.Security.Cryptography;

namespace Gantry.Oci;

/// <summary>
/// An incremental hasher for a digest algorithm. For sha256 the first <see cref="ManagedLimit"/> bytes are buffered:
/// a hash that ends within them is computed in managed code (<see cref="ManagedSha256"/>), so commands that only hash
/// manifests, configs and cache keys (a no-change build, <c>images</c>) never load libcrypto. Past the limit the
/// buffered bytes and everything after go to OpenSSL. sha512 always uses OpenSSL. Not thread-safe, like
/// <see cref="IncrementalHash"/>.
/// </summary>
public sealed class DigestHasher : IDisposable
{
    /// <summary>Inputs up to this many bytes are hashed in managed code (64 KiB: ~0.3 ms at worst).</summary>
    public const int ManagedLimit = 64 * 1024;

    private IncrementalHash? _native;
    private byte[]? _buffer;
    private int _length;

    public DigestHasher(string algorithm)
    {
        Algorithm = algorithm switch
        {
            Digest.Sha256 => Digest.Sha256,
            Digest.Sha512 => Digest.Sha512,
            _ => throw new InvalidDigestException(algorithm, $"unsupported digest algorithm '{algorithm}'"),
        };
        if (Algorithm == Digest.Sha512)
        {
            _native = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        }
    }

    public string Algorithm { get; }

    /// <summary>The sha256 of <paramref name="data"/>: managed up to <see cref="ManagedLimit"/> bytes, OpenSSL above.</summary>
    public static byte[] HashSha256(ReadOnlySpan<byte> data)
    {
        if (data.Length > ManagedLimit)
        {
            return SHA256.HashData(data);
        }

        var hash = new byte[ManagedSha256.HashSize];
        ManagedSha256.Hash(data, hash);
        return hash;
    }

    public void AppendData(byte[] data, int offset, int count) => AppendData(data.AsSpan(offset, count));

    public void AppendData(ReadOnlySpan<byte> data)
    {
        if (_native is null && _length + data.Length > ManagedLimit)
        {
            _native = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            _native.AppendData(_buffer.AsSpan(0, _length));
            _buffer = null;
            _length = 0;
        }

        if (_native is not null)
        {
            _native.AppendData(data);
            return;
        }

        if (_buffer is null || _buffer.Length < _length + data.Length)
        {
            var grown = new byte[Math.Min(ManagedLimit, Math.Max(_length + data.Length, Math.Max(256, (_buffer?.Length ?? 0) * 2)))];
            _buffer.AsSpan(0, _length).CopyTo(grown);
            _buffer = grown;
        }

        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }

    /// <summary>The hash of everything appended since the last reset; the hasher starts over.</summary>
    public byte[] GetHashAndReset()
    {
        if (_native is not null)
        {
            return _native.GetHashAndReset();
        }

        var hash = GetCurrentHash();
        _length = 0;
        return hash;
    }

    /// <summary>The hash of everything appended so far; appending may go on.</summary>
    public byte[] GetCurrentHash()
    {
        if (_native is not null)
        {
            return _native.GetCurrentHash();
        }

        var hash = new byte[ManagedSha256.HashSize];
        ManagedSha256.Hash(_buffer.AsSpan(0, _length), hash);
        return hash;
    }

    /// <summary>The digest of everything appended since the last reset; the hasher starts over.</summary>
    public Digest GetDigestAndReset() => Digest.FromHash(Algorithm, GetHashAndReset());

    public void Dispose() => _native?.Dispose();
}
