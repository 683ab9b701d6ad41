// Owns: a write-only stream that sends what the container prints to the attach clients as stdout or stderr frames.
namespace Gantry.Runtime.Monitor;

internal sealed class BroadcastStream(AttachServer server, byte frameType) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length > 0)
        {
            server.Broadcast(AttachProtocol.Frame(frameType, buffer));
        }
    }
}
