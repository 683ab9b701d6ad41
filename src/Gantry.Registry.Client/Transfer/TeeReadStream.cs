// Owns: a read-only stream that copies everything read through it into a PipeWriter (the pull's layer tap).
using System.IO.Pipelines;

namespace Gantry.Registry.Client.Transfer;

/// <summary>
/// Reads from <c>inner</c> and writes each chunk read into <c>sink</c> before returning it, waiting while the sink's reader
/// is behind (bounded memory); <c>inner</c> stays the caller's to dispose. Once the sink's reader has completed (stopped early), chunks are no longer copied.
/// </summary>
internal sealed class TeeReadStream(Stream inner, PipeWriter sink) : Stream
{
    private bool _sinkDone;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (n > 0 && !_sinkDone)
        {
            var result = await sink.WriteAsync(buffer[..n], cancellationToken).ConfigureAwait(false);
            _sinkDone = result.IsCompleted;
        }

        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
