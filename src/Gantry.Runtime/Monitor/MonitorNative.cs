// Owns: the libc calls the monitor and attach need (subreaper, waitpid, SCM_RIGHTS, pty read/write/resize, raw terminal), AOT-safe.
using System.Runtime.InteropServices;

namespace Gantry.Runtime.Monitor;

internal static unsafe partial class MonitorNative
{
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EIO = 5;

    private const int PR_SET_CHILD_SUBREAPER = 36;
    private const int O_PATH = 0x200000;
    private const int O_DIRECTORY = 0x10000;
    private const int O_CLOEXEC = 0x80000;
    private const ulong TIOCSWINSZ = 0x5414;
    private const ulong TIOCGWINSZ = 0x5413;
    private const int SOL_SOCKET = 1;
    private const int SCM_RIGHTS = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct WinSize
    {
        public ushort Rows;
        public ushort Cols;
        public ushort XPixel;
        public ushort YPixel;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public void* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPid(int pid, int* status, int options);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(nint socket, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, ulong request, WinSize* size);

    [LibraryImport("libc", EntryPoint = "isatty")]
    public static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static partial int TcGetAttr(int fd, byte* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static partial int TcSetAttr(int fd, int actions, byte* termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    private static partial void CfMakeRaw(byte* termios);

    /// <summary>Makes orphaned descendants (the container started by `runtime create`) children of this process.</summary>
    public static void BecomeSubreaper()
    {
        if (Prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        {
            throw new Gantry.Oci.GantryException($"prctl(PR_SET_CHILD_SUBREAPER) failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    /// <summary>Blocks until <paramref name="pid"/> exits; returns its exit code (128+N when killed by signal N), or -1 when it is not our child.</summary>
    public static int WaitForExit(int pid)
    {
        while (true)
        {
            int status;
            var r = WaitPid(pid, &status, 0);
            if (r == pid)
            {
                var sig = status & 0x7f;
                return sig == 0 ? (status >> 8) & 0xff : 128 + sig;
            }

            if (r < 0 && Marshal.GetLastPInvokeError() == EINTR)
            {
                continue;
            }

            return -1;
        }
    }

    /// <summary>Receives one file descriptor sent with SCM_RIGHTS on a connected unix socket.</summary>
    public static int ReceiveFd(nint socket)
    {
        var data = stackalloc byte[256];
        var control = stackalloc byte[64];
        var iov = new IoVec { Base = data, Length = 256 };
        var msg = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 64 };
        nint n;
        do
        {
            n = RecvMsg(socket, &msg, 0);
        }
        while (n < 0 && Marshal.GetLastPInvokeError() == EINTR);
        if (n < 0)
        {
            throw new Gantry.Oci.GantryException($"cannot receive the container console: recvmsg failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        // struct cmsghdr { size_t len; int level; int type; unsigned char data[]; }
        if (msg.ControlLength < (nuint)(sizeof(nuint) + 8 + 4))
        {
            throw new Gantry.Oci.GantryException("cannot receive the container console: the runtime sent no file descriptor");
        }

        var level = *(int*)(control + sizeof(nuint));
        var type = *(int*)(control + sizeof(nuint) + 4);
        if (level != SOL_SOCKET || type != SCM_RIGHTS)
        {
            throw new Gantry.Oci.GantryException("cannot receive the container console: unexpected control message");
        }

        return *(int*)(control + sizeof(nuint) + 8);
    }

    /// <summary>read(2), retrying on EINTR; returns 0 at end (EIO on a pty master whose slave is closed counts as end).</summary>
    public static int ReadFd(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Read(fd, p, (nuint)buffer.Length);
                if (n >= 0)
                {
                    return (int)n;
                }

                var err = Marshal.GetLastPInvokeError();
                if (err == EINTR)
                {
                    continue;
                }

                return 0;
            }
        }
    }

    /// <summary>Writes all of <paramref name="buffer"/>; false when the fd is gone.</summary>
    public static bool WriteFd(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var done = 0;
            while (done < buffer.Length)
            {
                var n = Write(fd, p + done, (nuint)(buffer.Length - done));
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == EINTR)
                    {
                        continue;
                    }

                    return false;
                }

                done += (int)n;
            }

            return true;
        }
    }

    public static void Resize(int fd, ushort rows, ushort cols)
    {
        var size = new WinSize { Rows = rows, Cols = cols };
        _ = Ioctl(fd, TIOCSWINSZ, &size);
    }

    /// <summary>The terminal size of <paramref name="fd"/>, or null when it is not a terminal.</summary>
    public static (ushort Rows, ushort Cols)? GetSize(int fd)
    {
        var size = default(WinSize);
        return Ioctl(fd, TIOCGWINSZ, &size) == 0 && size.Rows > 0 ? (size.Rows, size.Cols) : null;
    }

    /// <summary>An O_PATH descriptor of a directory (for binding sockets through /proc/self/fd/N, which keeps the path short).</summary>
    public static int OpenDirectoryPath(string path)
    {
        var fd = Open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd >= 0 ? fd : throw new Gantry.Oci.GantryException($"cannot open '{path}': {Marshal.GetLastPInvokeErrorMessage()}");
    }

    /// <summary>Puts terminal <paramref name="fd"/> in raw mode; returns the previous settings to restore, or null when it is not a terminal.</summary>
    public static byte[]? MakeRaw(int fd)
    {
        var saved = new byte[128];
        fixed (byte* p = saved)
        {
            if (TcGetAttr(fd, p) != 0)
            {
                return null;
            }
        }

        var raw = (byte[])saved.Clone();
        fixed (byte* p = raw)
        {
            CfMakeRaw(p);
            return TcSetAttr(fd, 0, p) == 0 ? saved : null;
        }
    }

    public static void Restore(int fd, byte[] saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        fixed (byte* p = saved)
        {
            _ = TcSetAttr(fd, 0, p);
        }
    }
}
