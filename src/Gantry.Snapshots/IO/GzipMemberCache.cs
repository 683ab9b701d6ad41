// Owns: reusing gzip members across builds: a compressed chunk is found by the hash of its uncompressed bytes and read back, verified, from a stored layer blob.
using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Gantry.Oci;

namespace Gantry.Snapshots.IO;

/// <summary>
/// Remembers where each gzip member that <see cref="ParallelGzipStream"/> compressed sits inside a stored layer blob, keyed by
/// the sha256 of the chunk's uncompressed bytes (with the level and runtime version, so a hit is byte-identical to what
/// compressing again would give, and layer digests stay reproducible). A rebuild whose layer differs in one file then
/// compresses only the chunks around that file: the others are copied from the previous layer blob.
/// <para>
/// An entry is 76 bytes in <c>&lt;dir&gt;/&lt;2 hex&gt;/&lt;key hex&gt;</c>: the blob's sha256, the member's offset and length, and
/// the member's sha256. A member is used only when its bytes, read from the blob, hash to that sha256; a missing blob, a
/// short read, a torn entry or a mismatch is a miss (and the entry is dropped). Entries are a cache: written without fsync,
/// removed with the rest of the build cache (<c>gantry builder prune</c>).
/// </para>
/// </summary>
public sealed class GzipMemberCache
{
    private const int EntrySize = 32 + 8 + 4 + 32;
    // The engine that compresses a member is part of its key: libdeflate and zlib-ng (whose version is the runtime's) write
    // different bytes for the same chunk, and a hit must be byte-identical to compressing again.
    private static readonly byte[] KeyPrefix = Encoding.ASCII.GetBytes(
        $"gantry gzip member v1\0{(Native.LibDeflate.IsAvailable ? Native.LibDeflate.EngineName : Environment.Version.ToString())}\0");

    private readonly string _directory;
    private readonly Func<Digest, string> _blobPath;

    /// <param name="directory">Where the entries live (created on first write).</param>
    /// <param name="blobPath">The file that holds a stored blob, e.g. the content store's blob path.</param>
    public GzipMemberCache(string directory, Func<Digest, string> blobPath)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(blobPath);
        _directory = directory;
        _blobPath = blobPath;
    }

    /// <summary>The lookup key of an uncompressed chunk at a gzip level.</summary>
    internal static byte[] Key(ReadOnlySpan<byte> chunk, int level)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(KeyPrefix);
        Span<byte> levelBytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(levelBytes, level);
        hash.AppendData(levelBytes);
        hash.AppendData(chunk);
        return hash.GetHashAndReset();
    }

    /// <summary>The member recorded for <paramref name="key"/>, read from its blob and verified, in a buffer rented from the
    /// shared pool (the caller returns it); false on any miss.</summary>
    internal bool TryGet(byte[] key, out byte[] member, out int length)
    {
        member = [];
        length = 0;
        var entryPath = EntryPath(key);
        Span<byte> entry = stackalloc byte[EntrySize + 1];
        try
        {
            using var entryHandle = File.OpenHandle(entryPath, FileMode.Open, FileAccess.Read);
            var got = RandomAccess.Read(entryHandle, entry, 0);
            if (got != EntrySize)
            {
                Drop(entryPath);
                return false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        var found = ReadMember(entry[..EntrySize], entryPath);
        if (found is null)
        {
            return false;
        }

        (member, length) = found.Value;
        return true;
    }

    /// <summary>Reads and verifies the member an entry points at; drops the entry when it is stale or wrong.</summary>
    private (byte[] Member, int Length)? ReadMember(ReadOnlySpan<byte> entry, string entryPath)
    {
        var blob = Digest.Parse("sha256:" + Convert.ToHexStringLower(entry[..32]));
        var offset = BinaryPrimitives.ReadInt64LittleEndian(entry.Slice(32, 8));
        var length = BinaryPrimitives.ReadInt32LittleEndian(entry.Slice(40, 4));
        if (offset < 0 || length <= 0 || length > ParallelGzipStream.MaxMemberSize)
        {
            Drop(entryPath);
            return null;
        }

        var member = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            using (var handle = File.OpenHandle(_blobPath(blob), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                var read = 0;
                while (read < length)
                {
                    var n = RandomAccess.Read(handle, member.AsSpan(read, length - read), offset + read);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                }

                if (read != length)
                {
                    throw new EndOfStreamException();
                }
            }

            Span<byte> actual = stackalloc byte[32];
            SHA256.HashData(member.AsSpan(0, length), actual);
            if (!actual.SequenceEqual(entry.Slice(44, 32)))
            {
                throw new InvalidDataException();
            }

            return (member, length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException)
        {
            ArrayPool<byte>.Shared.Return(member);
            Drop(entryPath);
            return null;
        }
    }

    /// <summary>Records where the members freshly compressed for <paramref name="layer"/> sit in its (now stored) blob.</summary>
    public void Record(LayerResult layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.CompressedMembers is not { Count: > 0 } members || layer.Digest.Algorithm != Digest.Sha256 || layer.Digest.Encoded.Length != 64)
        {
            return;
        }

        var blob = Convert.FromHexString(layer.Digest.Encoded);
        var entry = new byte[EntrySize];
        blob.CopyTo(entry, 0);
        foreach (var member in members)
        {
            var path = EntryPath(member.Key);
            if (File.Exists(path))
            {
                continue;
            }

            BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(32, 8), member.Offset);
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(40, 4), member.Length);
            member.Sha256.CopyTo(entry, 44);
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var temp = path + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + Environment.CurrentManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture);
                File.WriteAllBytes(temp, entry);
                File.Move(temp, path, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // a cache: a build that cannot record an entry only loses the speed-up next time
            }
        }
    }

    private string EntryPath(byte[] key)
    {
        var hex = Convert.ToHexStringLower(key);
        return Path.Combine(_directory, hex[..2], hex);
    }

    private static void Drop(string entryPath)
    {
        try
        {
            File.Delete(entryPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>One gzip member a layer write compressed: its key, and where it landed in the compressed output.</summary>
internal sealed record GzipMember(byte[] Key, long Offset, int Length, byte[] Sha256);
