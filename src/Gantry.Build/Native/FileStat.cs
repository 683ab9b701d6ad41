// Owns: the stat fields (inode, device, mode, size, mtime) the context hash cache keys on, read with statx(2).
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Gantry.Build.Native;

/// <summary>What statx(2) says about one path (not following a final symlink).</summary>
public readonly record struct FileStat(ulong Device, ulong Inode, uint Mode, uint Uid, uint Gid, long Size, long MtimeSeconds, uint MtimeNanos, long CtimeSeconds, uint CtimeNanos, ulong Rdev = 0)
{
    public const uint TypeMask = 0xF000;
    public const uint TypeRegular = 0x8000;
    public const uint TypeDirectory = 0x4000;
    public const uint TypeSymlink = 0xA000;

    public bool IsRegular => (Mode & TypeMask) == TypeRegular;

    public bool IsDirectory => (Mode & TypeMask) == TypeDirectory;

    public bool IsSymlink => (Mode & TypeMask) == TypeSymlink;

    /// <summary>An overlayfs whiteout: a character device with device number 0/0.</summary>
    public bool IsWhiteout => (Mode & TypeMask) == 0x2000 && Rdev == 0;

    /// <summary>Permission bits including setuid/setgid/sticky.</summary>
    public uint Permissions => Mode & 0xFFF;

    /// <summary>Modification time as a UTC instant.</summary>
    public DateTimeOffset Mtime => DateTimeOffset.FromUnixTimeSeconds(MtimeSeconds).AddTicks(MtimeNanos / 100);
}

/// <summary>statx(2) through libc; the struct layout is the same on every Linux architecture.</summary>
public static partial class FileStatReader
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;

    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000;
    private const int OCloexec = 0x80000;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>Stats a path without following a final symlink; null when it does not exist.</summary>
    public static FileStat? TryLstat(string path) => TryLstatAt(AtFdCwd, path);

    /// <summary>
    /// Stats <paramref name="name"/> inside the directory open as <paramref name="dirfd"/> (see <see cref="OpenDirectory"/>),
    /// not following a final symlink; null when it does not exist. The kernel resolves one component, not the whole path.
    /// </summary>
    public static unsafe FileStat? TryLstatAt(int dirfd, string name)
    {
        byte* buffer = stackalloc byte[256];
        if (Statx(dirfd, name, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            return null;
        }

        var span = new ReadOnlySpan<byte>(buffer, 256);
        return new FileStat(
            Device: ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(span[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(span[140..]),
            Inode: BinaryPrimitives.ReadUInt64LittleEndian(span[32..]),
            Mode: BinaryPrimitives.ReadUInt16LittleEndian(span[28..]),
            Uid: BinaryPrimitives.ReadUInt32LittleEndian(span[20..]),
            Gid: BinaryPrimitives.ReadUInt32LittleEndian(span[24..]),
            Size: BinaryPrimitives.ReadInt64LittleEndian(span[40..]),
            MtimeSeconds: BinaryPrimitives.ReadInt64LittleEndian(span[112..]),
            MtimeNanos: BinaryPrimitives.ReadUInt32LittleEndian(span[120..]),
            CtimeSeconds: BinaryPrimitives.ReadInt64LittleEndian(span[96..]),
            CtimeNanos: BinaryPrimitives.ReadUInt32LittleEndian(span[104..]),
            Rdev: ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(span[128..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(span[132..]));
    }

    /// <summary>Opens a directory for <see cref="TryLstatAt"/>; -1 when it cannot be opened. Close it with <see cref="CloseDirectory"/>.</summary>
    public static int OpenDirectory(string path) => Open(path, ORdOnly | ODirectory | OCloexec);

    public static void CloseDirectory(int fd)
    {
        if (fd >= 0)
        {
            _ = Close(fd);
        }
    }

    public static FileStat Lstat(string path) =>
        TryLstat(path) ?? throw new FileNotFoundException($"cannot stat '{path}': {Marshal.GetLastPInvokeErrorMessage()}", path);
}
