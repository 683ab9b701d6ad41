// Owns: one entry the builder asks LayerWriter to put into a COPY/ADD layer.
namespace Gantry.Snapshots;

/// <summary>
/// One entry of a layer built by <see cref="LayerWriter"/>. <see cref="Path"/> is the destination inside the layer
/// ("app/server.js", "/app/server.js" and "./app/server.js" are the same; no ".." allowed). A file's bytes come from
/// <see cref="SourcePath"/> (a file on disk, read when the layer is written) or <see cref="Content"/>.
/// <see cref="Mode"/> holds permission bits including setuid/setgid/sticky (07777); the type comes from <see cref="Kind"/>.
/// </summary>
public sealed record LayerEntry
{
    public required string Path { get; init; }

    public LayerEntryKind Kind { get; init; } = LayerEntryKind.File;

    public string? SourcePath { get; init; }

    public ReadOnlyMemory<byte>? Content { get; init; }

    /// <summary>Symlink target (any string) or, for hard links, the path of an earlier entry of this layer.</summary>
    public string? LinkTarget { get; init; }

    public int Uid { get; init; }

    public int Gid { get; init; }

    /// <summary>Permission bits (e.g. 0644 = 420). Null: 0644 for files (0755 when the source file is executable), 0755 for directories, 0777 for symlinks.</summary>
    public int? Mode { get; init; }

    /// <summary>Null uses the source file's mtime, else the Unix epoch; clamped to SOURCE_DATE_EPOCH when that is set.</summary>
    public DateTimeOffset? ModificationTime { get; init; }

    /// <summary>Extended attributes to record (e.g. security.capability); raw bytes.</summary>
    public IReadOnlyDictionary<string, byte[]>? Xattrs { get; init; }

    public static LayerEntry Directory(string path, int uid = 0, int gid = 0, int mode = 0b111_101_101, DateTimeOffset? mtime = null) =>
        new() { Path = path, Kind = LayerEntryKind.Directory, Uid = uid, Gid = gid, Mode = mode, ModificationTime = mtime };

    public static LayerEntry FromFile(string path, string sourcePath, int uid = 0, int gid = 0, int? mode = null, DateTimeOffset? mtime = null) =>
        new() { Path = path, Kind = LayerEntryKind.File, SourcePath = sourcePath, Uid = uid, Gid = gid, Mode = mode, ModificationTime = mtime };

    public static LayerEntry FromBytes(string path, ReadOnlyMemory<byte> content, int uid = 0, int gid = 0, int mode = 0b110_100_100, DateTimeOffset? mtime = null) =>
        new() { Path = path, Kind = LayerEntryKind.File, Content = content, Uid = uid, Gid = gid, Mode = mode, ModificationTime = mtime };

    public static LayerEntry Symlink(string path, string target, int uid = 0, int gid = 0, DateTimeOffset? mtime = null) =>
        new() { Path = path, Kind = LayerEntryKind.Symlink, LinkTarget = target, Uid = uid, Gid = gid, ModificationTime = mtime };
}
