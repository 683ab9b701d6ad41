// Owns: the monitor's attach socket wire format (typed, length-prefixed frames) and binding/connecting it by a short path.
using System.Buffers.Binary;
using System.Net.Sockets;

namespace Gantry.Runtime.Monitor;

/// <summary>
/// Frames on the attach socket: one type byte, a 4-byte big-endian length, then the payload. The monitor sends
/// <see cref="Stdout"/>, <see cref="Stderr"/> and finally <see cref="Exit"/> (a 4-byte exit code); the client sends
/// <see cref="Stdin"/>, <see cref="StdinEof"/> and <see cref="Resize"/> (rows, cols as 2-byte big-endian numbers).
/// </summary>
public static class AttachProtocol
{
    public const byte Stdout = 1;
    public const byte Stderr = 2;
    public const byte Exit = 3;
    public const byte Stdin = 10;
    public const byte StdinEof = 11;
    public const byte Resize = 12;

    /// <summary>The socket's file name inside the container's state folder.</summary>
    public const string SocketName = "attach.sock";

    public static byte[] Frame(byte type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = type;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), payload.Length);
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    public static byte[] ExitFrame(int code)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, code);
        return Frame(Exit, b);
    }

    public static byte[] ResizeFrame(ushort rows, ushort cols)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(b, rows);
        BinaryPrimitives.WriteUInt16BigEndian(b[2..], cols);
        return Frame(Resize, b);
    }

    /// <summary>Reads one frame; null at end of stream.</summary>
    public static async Task<(byte Type, byte[] Payload)?> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[5];
        if (!await ReadExactlyOrEndAsync(stream, header, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        if (length is < 0 or > 16 << 20)
        {
            throw new IOException($"bad attach frame length {length}");
        }

        var payload = new byte[length];
        if (length > 0 && !await ReadExactlyOrEndAsync(stream, payload, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return (header[0], payload);
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(done), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            done += n;
        }

        return true;
    }

    /// <summary>Binds and listens on <paramref name="path"/> (long paths are reached through /proc/self/fd, as conmon does).</summary>
    public static Socket Listen(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.Delete(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            WithShortPath(path, endpoint => socket.Bind(endpoint));
            socket.Listen(16);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects to the socket at <paramref name="path"/>.</summary>
    public static Socket Connect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            WithShortPath(path, endpoint => socket.Connect(endpoint));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void WithShortPath(string path, Action<UnixDomainSocketEndPoint> use)
    {
        if (path.Length < 100)
        {
            use(new UnixDomainSocketEndPoint(path));
            return;
        }

        var dir = MonitorNative.OpenDirectoryPath(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            use(new UnixDomainSocketEndPoint($"/proc/self/fd/{dir}/{Path.GetFileName(path)}"));
        }
        finally
        {
            MonitorNative.Close(dir);
        }
    }
}
