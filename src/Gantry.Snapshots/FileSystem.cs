// Owns: small filesystem helpers that never follow symlinks (recursive delete, tree copy for the copy-based fallback).
using Gantry.Snapshots.Native;

namespace Gantry.Snapshots;

internal static class FileSystem
{
    /// <summary>Deletes a path and, for a real directory, everything below it; symlinks are removed, never followed.</summary>
    public static void RemoveAll(string path)
    {
        if (!Libc.TryLstat(path, out var st, out _))
        {
            return;
        }

        if (st.IsDirectory)
        {
            foreach (var child in Directory.EnumerateFileSystemEntries(path))
            {
                RemoveAll(child);
            }

            if (Libc.Rmdir(path) != 0 && Libc.LastError != Libc.ENOENT)
            {
                // A read-only directory (e.g. mode 0555 as non-root) — make it writable once and retry.
                Libc.Chmod(path, 0x1C0);
                Libc.Rmdir(path);
            }
        }
        else
        {
            Libc.Unlink(path);
        }
    }
}
