// Owns: the few libc calls the runtime needs (mount, umount2, kill, getrlimit, setsid, open/flock/close for the container lock), as AOT-safe source-generated P/Invokes.
using System.Runtime.InteropServices;

namespace Gantry.Runtime.Native;

internal static partial class Libc
{
    public const int MNT_DETACH = 2;
    public const ulong MS_RDONLY = 1;
    public const ulong MS_BIND = 4096;
    public const ulong MS_REC = 16384;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string? fstype, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRlimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    public static partial int Setsid();

    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_CLOEXEC = 0x80000;
    public const int LOCK_EX = 2;
    public const int EINTR = 4;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Cur;
        public ulong Max;
    }

    public static string LastError() => Marshal.GetLastPInvokeErrorMessage();

    public static bool IsRoot => Geteuid() == 0;

    /// <summary>True when a process with this pid exists (signal 0).</summary>
    public static bool ProcessExists(int pid) => pid > 0 && (Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1 /* EPERM */);
}
