// Owns: the libc system calls snapshots need (files, links, devices, xattrs, statx, mount) as source-generated P/Invokes.
using System.Runtime.InteropServices;

namespace Gantry.Snapshots.Native;

internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtRemoveDir = 0x200;
    public const int AtEmptyPath = 0x1000;

    public const int ORdOnly = 0;
    public const int OWrOnly = 1;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int OTrunc = 0x200;
    public const int ODirectory = 0x10000;
    public const int ONoFollow = 0x20000;
    public const int OCloExec = 0x80000;

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int ENODATA = 61;
    public const int ENOTEMPTY = 39;
    public const int EOPNOTSUPP = 95;
    public const int ERANGE = 34;

    public const uint SIfMt = 0xF000;
    public const uint SIfSock = 0xC000;
    public const uint SIfLnk = 0xA000;
    public const uint SIfReg = 0x8000;
    public const uint SIfBlk = 0x6000;
    public const uint SIfDir = 0x4000;
    public const uint SIfChr = 0x2000;
    public const uint SIfIfo = 0x1000;

    public const ulong MsRdOnly = 1;
    public const ulong MsRemount = 32;
    public const ulong MsBind = 4096;
    public const ulong MsRec = 16384;
    public const int MntDetach = 2;

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Sec;
        public long Nsec;
    }

    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct Statx
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(16)] public uint Nlink;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
        [FieldOffset(128)] public uint RdevMajor;
        [FieldOffset(132)] public uint RdevMinor;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;

        public readonly uint Type => Mode & SIfMt;

        public readonly bool IsDirectory => Type == SIfDir;

        public readonly bool IsSymlink => Type == SIfLnk;

        public readonly bool IsRegular => Type == SIfReg;
    }

    public const uint StatxBasicStats = 0x7ff;

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, EntryPoint = "fchown", SetLastError = true)]
    public static partial int Fchown(int fd, int uid, int gid);

    [LibraryImport(Lib, EntryPoint = "fchmod", SetLastError = true)]
    public static partial int Fchmod(int fd, uint mode);

    [LibraryImport(Lib, EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Lchown(string path, int uid, int gid);

    [LibraryImport(Lib, EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chmod(string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mkdir(string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "symlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Symlink(string target, string linkPath);

    [LibraryImport(Lib, EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Link(string oldPath, string newPath);

    [LibraryImport(Lib, EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mknod(string path, uint mode, ulong dev);

    [LibraryImport(Lib, EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Unlink(string path);

    [LibraryImport(Lib, EntryPoint = "rmdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Rmdir(string path);

    [LibraryImport(Lib, EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Rename(string oldPath, string newPath);

    [LibraryImport(Lib, EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Utimensat(int dirFd, string path, Timespec* times, int flags);

    [LibraryImport(Lib, EntryPoint = "futimens", SetLastError = true)]
    public static partial int Futimens(int fd, Timespec* times);

    [LibraryImport(Lib, EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Lsetxattr(string path, string name, byte* value, nint size, int flags);

    [LibraryImport(Lib, EntryPoint = "fsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Fsetxattr(int fd, string name, byte* value, nint size, int flags);

    [LibraryImport(Lib, EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint Llistxattr(string path, byte* list, nint size);

    [LibraryImport(Lib, EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint Lgetxattr(string path, string name, byte* value, nint size);

    [LibraryImport(Lib, EntryPoint = "lremovexattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Lremovexattr(string path, string name);

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int StatxCall(int dirFd, string path, int flags, uint mask, Statx* buffer);

    [LibraryImport(Lib, EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint Readlink(string path, byte* buffer, nint size);

    [LibraryImport(Lib, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string? fsType, ulong flags, string? data);

    [LibraryImport(Lib, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    [LibraryImport(Lib, EntryPoint = "syncfs", SetLastError = true)]
    public static partial int Syncfs(int fd);

    [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    public const int LockSh = 1;
    public const int LockEx = 2;
    public const int LockUn = 8;

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    [LibraryImport(Lib, EntryPoint = "getegid")]
    public static partial uint Getegid();

    /// <summary>
    /// The process's umask, read from /proc/self/status (changing it to read it would race other threads creating files);
    /// 0777 (mask everything, i.e. always chmod) when it cannot be read.
    /// </summary>
    public static int Umask { get; } = ReadUmask();

    private static int ReadUmask()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                {
                    return Convert.ToInt32(line[6..].Trim(), 8);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return 0x1FF;
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    public static ulong Makedev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    /// <summary>lstat via statx; returns false (and errno) when the path does not exist or cannot be read.</summary>
    public static bool TryLstat(string path, out Statx st, out int errno) => TryStatx(AtFdCwd, path, AtSymlinkNoFollow, out st, out errno);

    /// <summary>statx of an open file descriptor (AT_EMPTY_PATH).</summary>
    public static bool TryFstat(int fd, out Statx st, out int errno) => TryStatx(fd, string.Empty, AtEmptyPath, out st, out errno);

    private static bool TryStatx(int dirFd, string path, int flags, out Statx st, out int errno)
    {
        Statx buffer;
        if (StatxCall(dirFd, path, flags, StatxBasicStats, &buffer) != 0)
        {
            errno = LastError;
            st = default;
            return false;
        }

        errno = 0;
        st = buffer;
        return true;
    }

    public static string? ReadLink(string path)
    {
        var buffer = stackalloc byte[4096];
        var n = Readlink(path, buffer, 4096);
        return n < 0 ? null : System.Text.Encoding.UTF8.GetString(buffer, (int)n);
    }

    public static bool IsRoot { get; } = Geteuid() == 0;
}
