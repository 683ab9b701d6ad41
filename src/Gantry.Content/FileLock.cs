// Owns: inter-process advisory locks (flock) on a lock file, shared or exclusive, with a blocking or cancellable wait.
using System.Runtime.InteropServices;
using Gantry.Oci;

namespace Gantry.Content;

/// <summary>
/// An flock(2) lock on a file. Exclusive for writers of index.json and for GC; shared for leases that keep GC away.
/// The kernel drops the lock when the process dies, so a killed gantry never leaves the store locked.
/// Each instance opens its own file description, so locks also exclude each other between threads of one process.
/// </summary>
public sealed class FileLock : IDisposable
{
    private int _fd;

    private FileLock(int fd, string path, bool exclusive)
    {
        _fd = fd;
        Path = path;
        Exclusive = exclusive;
    }

    public string Path { get; }

    public bool Exclusive { get; }

    /// <summary>Blocks until the lock is held.</summary>
    public static FileLock Acquire(string path, bool exclusive)
    {
        var fd = OpenLockFile(path);
        while (true)
        {
            if (Native.Flock(fd, exclusive ? Native.LockEx : Native.LockSh) == 0)
            {
                return new FileLock(fd, path, exclusive);
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Native.EIntr)
            {
                _ = Native.Close(fd);
                throw new GantryException($"cannot lock '{path}' (errno {errno}): check the store root is on a local file system that supports flock");
            }
        }
    }

    /// <summary>Waits (polling without blocking a thread) until the lock is held or the token is cancelled.</summary>
    public static async Task<FileLock> AcquireAsync(string path, bool exclusive, CancellationToken cancellationToken = default)
    {
        var fd = OpenLockFile(path);
        var delay = 2;
        try
        {
            while (true)
            {
                if (Native.Flock(fd, (exclusive ? Native.LockEx : Native.LockSh) | Native.LockNb) == 0)
                {
                    return new FileLock(fd, path, exclusive);
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno is not (Native.EWouldBlock or Native.EIntr))
                {
                    throw new GantryException($"cannot lock '{path}' (errno {errno}): check the store root is on a local file system that supports flock");
                }

                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Math.Min(delay * 2, 50);
            }
        }
        catch
        {
            _ = Native.Close(fd);
            throw;
        }
    }

    private static int OpenLockFile(string path)
    {
        var fd = Native.Open(path, Native.ORdWr | Native.OCreat | Native.OCloExec, 0b110_100_100);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new GantryException($"cannot open lock file '{path}' (errno {errno}): check the store root exists and is writable");
        }

        return fd;
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = Native.Flock(fd, Native.LockUn);
            _ = Native.Close(fd);
        }
    }
}
