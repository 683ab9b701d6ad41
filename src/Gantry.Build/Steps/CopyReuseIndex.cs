// Owns: what the last COPY layer of a step holds (each file's content hash and its inode in the unpacked layer), so a rebuild hard-links the files that did not change.
using System.Buffers.Binary;
using System.Text;
using Gantry.Build.Native;
using Gantry.Oci;
using Gantry.Snapshots;

namespace Gantry.Build.Steps;

/// <summary>
/// After a COPY from the context writes and unpacks its layer, <see cref="Record"/> notes, under the step's identity (its
/// parent and instruction, not its content checksum), the layer's diffID and, for every regular file, the sha256 of its
/// content and the lstat of the unpacked file (inode, size, ctime). When the same step runs again with some files changed,
/// <see cref="Load"/> gives a <see cref="SameFileLookup"/> that answers, for a file whose content hash is the one recorded,
/// with the unpacked file of the earlier layer, so the new layer's directory links it instead of writing it: a one-file
/// edit of a 5,000-file COPY creates one inode, not 5,000.
/// <para>
/// Trust: the earlier file is used only when its inode, size and ctime are still the ones recorded (any write, chmod,
/// chown or utimes changes the ctime, and the kernel alone sets it) and its mode, owner and mtime are the new entry's.
/// The index is a cache: written without fsync to a temp file and renamed; a missing, torn or stale one costs only
/// writing the files. It lives in <c>$ROOT/build/copy-reuse/&lt;step&gt;.bin</c> and goes with the build cache.
/// </para>
/// </summary>
public sealed class CopyReuseIndex
{
    private static readonly byte[] Magic = "gantry copy reuse v1\n"u8.ToArray();

    private readonly string _layerDir;
    private readonly Dictionary<string, KnownFile> _files;

    private CopyReuseIndex(string layerDir, Dictionary<string, KnownFile> files)
    {
        _layerDir = layerDir;
        _files = files;
    }

    /// <summary>How many files the earlier layer recorded.</summary>
    public int Count => _files.Count;

    /// <summary>The index file of a step (<paramref name="step"/>: the hex of the step's identity key).</summary>
    public static string PathFor(string buildDir, string step) => Path.Combine(buildDir, "copy-reuse", step + ".bin");

    /// <summary>
    /// The earlier layer of <paramref name="step"/> when its index is readable and its unpacked directory still exists
    /// (<paramref name="layerDir"/> gives the directory of an unpacked diffID, or null when it is not unpacked); else null.
    /// </summary>
    public static CopyReuseIndex? Load(string buildDir, string step, Func<Digest, string?> layerDir)
    {
        ArgumentNullException.ThrowIfNull(layerDir);
        byte[] data;
        try
        {
            data = File.ReadAllBytes(PathFor(buildDir, step));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        try
        {
            var span = data.AsSpan();
            if (!span.StartsWith(Magic))
            {
                return null;
            }

            var at = Magic.Length;
            var diffId = Digest.Parse(ReadString(span, ref at));
            if (layerDir(diffId) is not { } dir)
            {
                return null;
            }

            var count = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
            at += 4;
            var files = new Dictionary<string, KnownFile>(Math.Max(0, count), StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var path = ReadString(span, ref at);
                var hash = span.Slice(at, 32).ToArray();
                at += 32;
                var ino = BinaryPrimitives.ReadUInt64LittleEndian(span[at..]);
                var size = BinaryPrimitives.ReadInt64LittleEndian(span[(at + 8)..]);
                var ctimeSec = BinaryPrimitives.ReadInt64LittleEndian(span[(at + 16)..]);
                var ctimeNsec = BinaryPrimitives.ReadUInt32LittleEndian(span[(at + 24)..]);
                at += 28;
                files[path] = new KnownFile(hash, ino, size, ctimeSec, ctimeNsec);
            }

            return at == span.Length ? new CopyReuseIndex(dir, files) : null;
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or FormatException or ArgumentException)
        {
            return null; // torn or foreign: a cache miss
        }
    }

    /// <summary>
    /// The lookup for a new layer of the same step whose files are <paramref name="planned"/> (their content hashes set):
    /// a file is offered when its content hash is the recorded one and the earlier file is unchanged and has the entry's
    /// size, mode, owner and mtime.
    /// </summary>
    public SameFileLookup Lookup(IReadOnlyList<PlannedEntry> planned)
    {
        ArgumentNullException.ThrowIfNull(planned);
        var hashes = new Dictionary<string, byte[]>(planned.Count, StringComparer.Ordinal);
        foreach (var e in planned)
        {
            if (e.Kind == PlannedKind.File && e.ContentHash is { } hash)
            {
                hashes[e.Path] = hash;
            }
        }

        return (path, size, mode, uid, gid, mtimeSeconds, mtimeNanoseconds) =>
        {
            if (!hashes.TryGetValue(path, out var hash) || !_files.TryGetValue(path, out var known) || known.Size != size
                || !hash.AsSpan().SequenceEqual(known.Hash))
            {
                return null;
            }

            var full = _layerDir + "/" + path;
            if (FileStatReader.TryLstat(full) is not { } st)
            {
                return null;
            }

            return st.IsRegular && st.Inode == known.Inode && st.Size == size && st.CtimeSeconds == known.CtimeSeconds && st.CtimeNanos == known.CtimeNanos
                && st.Permissions == mode && st.Uid == uid && st.Gid == gid && st.MtimeSeconds == mtimeSeconds && st.MtimeNanos == mtimeNanoseconds
                ? full
                : null;
        };
    }

    /// <summary>
    /// Records the layer <paramref name="diffId"/> unpacked at <paramref name="layerDir"/> as the latest of
    /// <paramref name="step"/>: each regular file of <paramref name="planned"/> with a content hash, with the lstat of its
    /// unpacked copy. Best effort: failing to write the index only costs the next rebuild its links.
    /// </summary>
    public static void Record(string buildDir, string step, Digest diffId, string layerDir, IReadOnlyList<PlannedEntry> planned)
    {
        ArgumentNullException.ThrowIfNull(planned);
        var buffer = new MemoryStream();
        buffer.Write(Magic);
        WriteString(buffer, diffId.ToString());
        var countAt = buffer.Position;
        buffer.Write(stackalloc byte[4]);
        var count = 0;
        Span<byte> fixedPart = stackalloc byte[28];
        foreach (var e in planned)
        {
            if (e.Kind != PlannedKind.File || e.ContentHash is not { Length: 32 } hash
                || FileStatReader.TryLstat(layerDir + "/" + e.Path) is not { IsRegular: true } st)
            {
                continue;
            }

            WriteString(buffer, e.Path);
            buffer.Write(hash);
            BinaryPrimitives.WriteUInt64LittleEndian(fixedPart, st.Inode);
            BinaryPrimitives.WriteInt64LittleEndian(fixedPart[8..], st.Size);
            BinaryPrimitives.WriteInt64LittleEndian(fixedPart[16..], st.CtimeSeconds);
            BinaryPrimitives.WriteUInt32LittleEndian(fixedPart[24..], st.CtimeNanos);
            buffer.Write(fixedPart);
            count++;
        }

        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[(int)countAt..], count);
        var path = PathFor(buildDir, step);
        var temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // nothing more to do for a cache
            }
        }
    }

    private static void WriteString(MemoryStream buffer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        buffer.Write(length);
        buffer.Write(bytes);
    }

    private static string ReadString(ReadOnlySpan<byte> span, ref int at)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
        var value = Encoding.UTF8.GetString(span.Slice(at + 4, length));
        at += 4 + length;
        return value;
    }

    private readonly record struct KnownFile(byte[] Hash, ulong Inode, long Size, long CtimeSeconds, uint CtimeNanos);
}
