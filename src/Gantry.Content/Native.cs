// Owns: the few libc calls the store needs that .NET does not expose (open without .NET's own flock or with O_DIRECT, flock, fsync, pwrite).
using System.Runtime.InteropServices;

namespace Gantry.Content;

internal static partial class Native
{
    internal const int ORdOnly = 0;
    internal const int OWrOnly = 1;
    internal const int ORdWr = 2;
    internal const int OCreat = 0x40;
    internal const int OExcl = 0x80;
    internal const int ODirect = 0x4000;
    internal const int OCloExec = 0x80000;
    internal const int LockSh = 1;
    internal const int LockEx = 2;
    internal const int LockNb = 4;
    internal const int LockUn = 8;
    internal const int EIntr = 4;
    internal const int EWouldBlock = 11;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    internal static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    internal static partial nint Pwrite(int fd, nint buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    /// <summary>fsyncs a directory so a rename inside it is durable.</summary>
    internal static void FsyncDirectory(string directory)
    {
        var fd = Open(directory, ORdOnly | OCloExec, 0);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }
}
