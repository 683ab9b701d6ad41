// Owns: the contract by which a caller offers an identical file of an earlier layer to be hard-linked while a new layer is unpacked.
namespace Gantry.Snapshots;

/// <summary>
/// Asked, for each regular file of a layer being unpacked in overlay-lower form, whether an immutable file on the same
/// filesystem (a file of an earlier unpacked layer) holds exactly this entry: the same bytes, size, permission bits,
/// owner and modification time. Returns that file's absolute path, which is hard-linked instead of writing the entry,
/// or null to write it. The answer is the caller's promise: the unpacker only links it. It may be called from several
/// unpacking threads at once.
/// </summary>
/// <param name="path">The entry's path relative to the layer root, without a leading slash ("app/src/x.js").</param>
/// <param name="size">The entry's size in bytes.</param>
/// <param name="mode">The entry's permission bits (07777).</param>
/// <param name="uid">The entry's owner.</param>
/// <param name="gid">The entry's group.</param>
/// <param name="mtimeSeconds">The entry's modification time, seconds.</param>
/// <param name="mtimeNanoseconds">The entry's modification time, nanoseconds.</param>
public delegate string? SameFileLookup(string path, long size, int mode, int uid, int gid, long mtimeSeconds, int mtimeNanoseconds);
