// Owns: building a layer (COPY/ADD) from a list of entries: deterministic tar, compression and both digests in one pass.
using Gantry.Oci;
using Gantry.Snapshots.Native;
using Gantry.Snapshots.Tar;

namespace Gantry.Snapshots;

/// <summary>
/// Collects <see cref="LayerEntry"/> items and writes them as one layer blob. Entries are written sorted (depth-first,
/// names bytewise), without "./" prefixes, directories with a trailing "/", numeric uid/gid only, mtimes in whole seconds
/// clamped to SOURCE_DATE_EPOCH, so the same entries always give the same DiffId and Digest. A later entry for the same
/// path replaces an earlier one. Parent directories are not added implicitly: add them (with their ownership) when the
/// layer should carry them, as docker does for COPY destinations.
/// </summary>
public sealed class LayerWriter
{
    private readonly Dictionary<string, LayerEntry> _entries = new(StringComparer.Ordinal);

    public LayerWriter(LayerWriteOptions? options = null)
    {
        Options = options ?? LayerWriteOptions.Default;
    }

    public LayerWriteOptions Options { get; }

    /// <summary>True when nothing was added: the builder records <c>empty_layer</c> history instead of a layer.</summary>
    public bool IsEmpty => _entries.Count == 0;

    public int Count => _entries.Count;

    public LayerWriter Add(LayerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var path = PathOrder.Clean(entry.Path, "layer entry");
        _entries[path] = entry with { Path = path };
        return this;
    }

    public LayerWriter AddDirectory(string path, int uid = 0, int gid = 0, int mode = 0b111_101_101, DateTimeOffset? mtime = null) =>
        Add(LayerEntry.Directory(path, uid, gid, mode, mtime));

    public LayerWriter AddFile(string path, string sourcePath, int uid = 0, int gid = 0, int? mode = null, DateTimeOffset? mtime = null) =>
        Add(LayerEntry.FromFile(path, sourcePath, uid, gid, mode, mtime));

    public LayerWriter AddBytes(string path, ReadOnlyMemory<byte> content, int uid = 0, int gid = 0, int mode = 0b110_100_100, DateTimeOffset? mtime = null) =>
        Add(LayerEntry.FromBytes(path, content, uid, gid, mode, mtime));

    public LayerWriter AddSymlink(string path, string target, int uid = 0, int gid = 0, DateTimeOffset? mtime = null) =>
        Add(LayerEntry.Symlink(path, target, uid, gid, mtime));

    public LayerWriter AddWhiteout(string path) => Add(new LayerEntry { Path = path, Kind = LayerEntryKind.Whiteout });

    /// <summary>Writes the layer (compressed per <see cref="Options"/>) to <paramref name="output"/> and returns its digests.</summary>
    public Task<LayerResult> WriteAsync(Stream output, CancellationToken cancellationToken = default) =>
        WriteAsync(output, unpackTo: null, cancellationToken);

    /// <summary>
    /// Writes the layer to <paramref name="output"/> and, in the same pass (each source file read once), unpacks it into
    /// <paramref name="unpackTo"/> in overlay-lower form, so the layer's directory exists without decompressing the blob
    /// (<see cref="LayerResult.UnpackedDirectory"/> is set when that worked). Null skips the unpack.
    /// </summary>
    public Task<LayerResult> WriteAsync(Stream output, string? unpackTo, CancellationToken cancellationToken = default)
    {
        var ordered = _entries.Values.ToList();
        ordered.Sort((a, b) => PathOrder.Instance.Compare(TarName(a), TarName(b)));
        return LayerPipeline.WriteAsync(output, Options, (tar, ct) => WriteEntries(tar, ordered, ct), unpackTo, cancellationToken);
    }

    /// <summary>Writes the layer into a blob store (via a temp file in <paramref name="tempDir"/>); an empty layer is not stored.</summary>
    public Task<LayerResult> WriteAsync(IBlobWriter blobs, string tempDir, CancellationToken cancellationToken = default) =>
        LayerPipeline.WriteToStoreAsync(blobs, tempDir, s => WriteAsync(s, cancellationToken), cancellationToken);

    private static string TarName(LayerEntry e) => e.Kind == LayerEntryKind.Whiteout ? WhiteoutName(e.Path) : e.Path;

    private static string WhiteoutName(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? ".wh." + path : path[..(slash + 1)] + ".wh." + path[(slash + 1)..];
    }

    private int WriteEntries(TarWriter tar, List<LayerEntry> ordered, CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var e in ordered)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var mtime = e.ModificationTime?.ToUnixTimeSeconds() ?? 0;
            var header = new TarHeader
            {
                Name = e.Path,
                Uid = e.Uid,
                Gid = e.Gid,
                Xattrs = e.Xattrs is null ? null : new SortedDictionary<string, byte[]>(e.Xattrs.ToDictionary(), StringComparer.Ordinal),
            };
            switch (e.Kind)
            {
                case LayerEntryKind.Directory or LayerEntryKind.OpaqueDirectory:
                    header.Name = e.Path + "/";
                    header.Type = TarEntryType.Directory;
                    header.Mode = e.Mode ?? 0b111_101_101;
                    header.MtimeSeconds = LayerPipeline.Clamp(mtime, Options);
                    tar.WriteHeader(header);
                    count++;
                    if (e.Kind == LayerEntryKind.OpaqueDirectory)
                    {
                        tar.WriteHeader(new TarHeader { Name = e.Path + "/.wh..wh..opq", Type = TarEntryType.Regular, MtimeSeconds = header.MtimeSeconds });
                        count++;
                    }

                    break;
                case LayerEntryKind.Symlink:
                    header.Type = TarEntryType.Symlink;
                    header.LinkName = e.LinkTarget ?? throw new GantryException($"layer entry '{e.Path}': a symlink needs a target.");
                    header.Mode = e.Mode ?? 0b111_111_111;
                    header.MtimeSeconds = LayerPipeline.Clamp(mtime, Options);
                    tar.WriteHeader(header);
                    count++;
                    break;
                case LayerEntryKind.HardLink:
                    header.Type = TarEntryType.HardLink;
                    header.LinkName = PathOrder.Clean(e.LinkTarget ?? string.Empty, $"hard link '{e.Path}'");
                    header.Mode = e.Mode ?? 0b110_100_100;
                    header.MtimeSeconds = LayerPipeline.Clamp(mtime, Options);
                    tar.WriteHeader(header);
                    count++;
                    break;
                case LayerEntryKind.Whiteout:
                    tar.WriteHeader(new TarHeader { Name = WhiteoutName(e.Path), Type = TarEntryType.Regular, MtimeSeconds = LayerPipeline.Clamp(mtime, Options) });
                    count++;
                    break;
                default:
                    header.Type = TarEntryType.Regular;
                    if (e.SourcePath is { } source)
                    {
                        // open + statx(fd) + read + close: the fewest calls per file (a COPY of 5,000 small files makes
                        // this loop the layer's critical path); the size and mode are those of the file actually read.
                        var fd = Libc.Open(source, Libc.ORdOnly | Libc.OCloExec, 0);
                        if (fd < 0)
                        {
                            throw new GantryException($"layer entry '{e.Path}': cannot read source file '{source}': {Libc.ErrorText(Libc.LastError)}.");
                        }

                        try
                        {
                            if (!Libc.TryFstat(fd, out var st, out var errno) || !st.IsRegular)
                            {
                                throw new GantryException($"layer entry '{e.Path}': source '{source}' is not a readable regular file{(errno != 0 ? ": " + Libc.ErrorText(errno) : string.Empty)}.");
                            }

                            header.Size = (long)st.Size;
                            header.Mode = e.Mode ?? (st.Mode & 0xFFF);
                            header.MtimeSeconds = LayerPipeline.Clamp(e.ModificationTime?.ToUnixTimeSeconds() ?? st.MtimeSec, Options);
                            tar.WriteHeader(header);
                            tar.WriteData(fd, header.Size, $"source file '{source}'");
                        }
                        finally
                        {
                            Libc.Close(fd);
                        }
                    }
                    else
                    {
                        var content = e.Content ?? ReadOnlyMemory<byte>.Empty;
                        header.Size = content.Length;
                        header.Mode = e.Mode ?? 0b110_100_100;
                        header.MtimeSeconds = LayerPipeline.Clamp(mtime, Options);
                        tar.WriteHeader(header);
                        tar.WriteData(content.Span);
                    }

                    count++;
                    break;
            }
        }

        return count;
    }
}
