// Owns: the persistent stat-keyed cache of context file content hashes (BuildKit-style), under $ROOT/build/.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Gantry.Build.Native;
using Gantry.Oci;

namespace Gantry.Build.Context;

/// <summary>
/// Maps a file's identity (absolute path + device + inode + size + mtime + ctime + mode) to the sha256 of its content, so an
/// unchanged context is never re-read. Loaded once per build, saved atomically when something changed. Thread-safe.
/// </summary>
public sealed class ContextHashCache
{
    private const uint Magic = 0x47484331; // "GHC1"
    private const int MaxEntries = 500_000;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly string? _file;
    private bool _dirty;

    private readonly record struct Entry(ulong Device, ulong Inode, long Size, long Mtime, long Ctime, uint Mode, byte[] Hash, long Used);

    private ContextHashCache(string? file) => _file = file;

    /// <summary>Bytes hashed (cache misses) since load; tests and progress use it.</summary>
    public long BytesHashed { get; private set; }

    /// <summary>Files hashed (cache misses) since load.</summary>
    public int FilesHashed { get; private set; }

    /// <summary>A cache that lives only in memory.</summary>
    public static ContextHashCache InMemory() => new(null);

    /// <summary>
    /// Loads a cache file under <paramref name="buildDir"/> ($ROOT/build); a missing or corrupt file gives an empty cache.
    /// With <paramref name="contextRoot"/>, the file belongs to builds of that context directory alone
    /// (<c>context-hashes/HASH.bin</c>), so a build reads only its own context's entries, however many other
    /// contexts the store has built.
    /// </summary>
    public static ContextHashCache Load(string buildDir, string? contextRoot = null)
    {
        ArgumentNullException.ThrowIfNull(buildDir);
        var file = contextRoot is null
            ? Path.Combine(buildDir, "context-hashes.bin")
            : Path.Combine(buildDir, "context-hashes", Convert.ToHexStringLower(DigestHasher.HashSha256(Encoding.UTF8.GetBytes(contextRoot)))[..32] + ".bin");
        var cache = new ContextHashCache(file);
        try
        {
            if (File.Exists(cache._file))
            {
                cache.Read(File.ReadAllBytes(cache._file!));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException)
        {
            cache._entries.Clear();
        }

        return cache;
    }

    /// <summary>The sha256 of a regular file's content, from the cache when its stat is unchanged.</summary>
    public byte[] GetHash(string path, in FileStat stat)
    {
        var mtime = (stat.MtimeSeconds * 1_000_000_000) + stat.MtimeNanos;
        var ctime = (stat.CtimeSeconds * 1_000_000_000) + stat.CtimeNanos;
        lock (_lock)
        {
            if (_entries.TryGetValue(path, out var e) && e.Device == stat.Device && e.Inode == stat.Inode && e.Size == stat.Size
                && e.Mtime == mtime && e.Ctime == ctime && e.Mode == stat.Mode)
            {
                return e.Hash;
            }
        }

        byte[] hash;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan))
        {
            hash = SHA256.HashData(stream);
        }

        Record(path, stat, hash);
        return hash;
    }

    /// <summary>Records a hash computed elsewhere (e.g. while a COPY layer streamed the file).</summary>
    public void Record(string path, in FileStat stat, byte[] hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var mtime = (stat.MtimeSeconds * 1_000_000_000) + stat.MtimeNanos;
        var ctime = (stat.CtimeSeconds * 1_000_000_000) + stat.CtimeNanos;
        lock (_lock)
        {
            _entries[path] = new Entry(stat.Device, stat.Inode, stat.Size, mtime, ctime, stat.Mode, hash, DateTime.UtcNow.Ticks);
            _dirty = true;
            BytesHashed += stat.Size;
            FilesHashed++;
        }
    }

    /// <summary>Writes the cache back (temp file + rename) when it changed.</summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        byte[] data;
        lock (_lock)
        {
            if (_file is null || !_dirty)
            {
                return;
            }

            if (_entries.Count > MaxEntries)
            {
                foreach (var stale in _entries.OrderBy(kv => kv.Value.Used).Take(_entries.Count - MaxEntries).Select(kv => kv.Key).ToList())
                {
                    _entries.Remove(stale);
                }
            }

            data = Write();
            _dirty = false;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        var tmp = $"{_file}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(tmp, data, cancellationToken).ConfigureAwait(false);
        File.Move(tmp, _file, overwrite: true);
    }

    private byte[] Write()
    {
        using var ms = new MemoryStream();
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], _entries.Count);
        ms.Write(header);
        Span<byte> fixedPart = stackalloc byte[8 * 6 + 4 + 32 + 4];
        foreach (var (path, e) in _entries)
        {
            var name = Encoding.UTF8.GetBytes(path);
            BinaryPrimitives.WriteUInt64LittleEndian(fixedPart, e.Device);
            BinaryPrimitives.WriteUInt64LittleEndian(fixedPart[8..], e.Inode);
            BinaryPrimitives.WriteInt64LittleEndian(fixedPart[16..], e.Size);
            BinaryPrimitives.WriteInt64LittleEndian(fixedPart[24..], e.Mtime);
            BinaryPrimitives.WriteInt64LittleEndian(fixedPart[32..], e.Ctime);
            BinaryPrimitives.WriteInt64LittleEndian(fixedPart[40..], e.Used);
            BinaryPrimitives.WriteUInt32LittleEndian(fixedPart[48..], e.Mode);
            e.Hash.CopyTo(fixedPart[52..]);
            BinaryPrimitives.WriteInt32LittleEndian(fixedPart[84..], name.Length);
            ms.Write(fixedPart);
            ms.Write(name);
        }

        return ms.ToArray();
    }

    private void Read(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(data) != Magic)
        {
            throw new InvalidDataException("not a context hash cache");
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        var pos = 8;
        for (var i = 0; i < count; i++)
        {
            if (pos + 88 > data.Length)
            {
                throw new InvalidDataException("truncated context hash cache");
            }

            var p = data[pos..];
            var nameLength = BinaryPrimitives.ReadInt32LittleEndian(p[84..]);
            if (nameLength < 0 || pos + 88 + nameLength > data.Length)
            {
                throw new InvalidDataException("truncated context hash cache");
            }

            var name = Encoding.UTF8.GetString(p.Slice(88, nameLength));
            _entries[name] = new Entry(
                BinaryPrimitives.ReadUInt64LittleEndian(p),
                BinaryPrimitives.ReadUInt64LittleEndian(p[8..]),
                BinaryPrimitives.ReadInt64LittleEndian(p[16..]),
                BinaryPrimitives.ReadInt64LittleEndian(p[24..]),
                BinaryPrimitives.ReadInt64LittleEndian(p[32..]),
                BinaryPrimitives.ReadUInt32LittleEndian(p[48..]),
                p.Slice(52, 32).ToArray(),
                BinaryPrimitives.ReadInt64LittleEndian(p[40..]));
            pos += 88 + nameLength;
        }
    }
}
