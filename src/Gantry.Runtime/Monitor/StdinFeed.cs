// Owns: the container's stdin as the monitor keeps it open (-i): a read stream fed by attach clients, ended on request.
using System.Threading.Channels;

namespace Gantry.Runtime.Monitor;

/// <summary>A read-only stream whose bytes come from <see cref="Add"/>; reads end (return 0) after <see cref="Complete"/>.</summary>
internal sealed class StdinFeed : Stream
{
    private readonly Channel<byte[]> channel = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private byte[] current = [];
    private int offset;

    public void Add(byte[] data)
    {
        if (data.Length > 0)
        {
            channel.Writer.TryWrite(data);
        }
    }

    public void Complete() => channel.Writer.TryComplete();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (offset >= current.Length)
        {
            if (!await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            if (channel.Reader.TryRead(out var next))
            {
                current = next;
                offset = 0;
            }
        }

        var n = Math.Min(buffer.Length, current.Length - offset);
        current.AsMemory(offset, n).CopyTo(buffer);
        offset += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
