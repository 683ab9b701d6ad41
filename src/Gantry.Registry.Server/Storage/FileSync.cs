// Owns: cheap durability for blobs: early writeback with sync_file_range while receiving, fdatasync before commit.
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Gantry.Registry.Server.Storage;

internal static partial class FileSync
{
    private const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE: start writeback of dirty pages, do not wait

    /// <summary>Bytes received between two writeback kicks.</summary>
    public const long WritebackChunk = 1024 * 1024;

    /// <summary>Starts (does not wait for) writeback of [offset, offset+count); best effort, errors are ignored.</summary>
    public static void StartWriteback(SafeFileHandle handle, long offset, long count)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            _ = SyncFileRange(handle.DangerousGetHandle().ToInt32(), offset, count, SyncFileRangeWrite);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>fdatasync: the data and the metadata needed to read it back (size) reach the disk; falls back to fsync.</summary>
    public static void FlushData(SafeFileHandle handle)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (FDataSync(handle.DangerousGetHandle().ToInt32()) == 0)
            {
                return;
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        RandomAccess.FlushToDisk(handle);
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(int fd);
}
