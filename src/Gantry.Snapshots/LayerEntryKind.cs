// Owns: the kinds of entry a LayerWriter can put in a layer.
namespace Gantry.Snapshots;

public enum LayerEntryKind
{
    File,
    Directory,
    Symlink,
    HardLink,

    /// <summary>Deletes <see cref="LayerEntry.Path"/> from lower layers (written as <c>.wh.NAME</c>).</summary>
    Whiteout,

    /// <summary>A directory that hides everything below it in lower layers (directory entry plus <c>.wh..wh..opq</c>).</summary>
    OpaqueDirectory,
}
