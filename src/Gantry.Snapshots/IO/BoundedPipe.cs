// Owns: an in-process byte pipe between two threads with a bounded number of pooled buffers (for tar/compression overlap).
using System.Buffers;
using System.Collections.Concurrent;

namespace Gantry.Snapshots.IO;

/// <summary>
/// A one-producer one-consumer byte pipe: the producer writes through <see cref="Writer"/>, the consumer reads from
/// <see cref="Reader"/>. At most <c>capacity</c> chunks are in flight, so memory stays bounded while both sides run on
/// their own core. A producer failure is handed to the reader (thrown from Read); a reader failure cancels the producer.
/// </summary>
internal sealed class BoundedPipe : IDisposable
{
    private readonly BlockingCollection<(byte[] Buffer, int Length)> _chunks;
    private readonly int _chunkSize;
    private readonly CancellationTokenSource _cts;
    private Exception? _producerError;

    public BoundedPipe(CancellationToken cancellationToken, int chunkSize = 256 * 1024, int capacity = 8)
    {
        _chunks = new BlockingCollection<(byte[], int)>(capacity);
        _chunkSize = chunkSize;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Writer = new PipeWriterStream(this);
        Reader = new PipeReaderStream(this);
    }

    public Stream Writer { get; }

    public Stream Reader { get; }

    public CancellationToken Token => _cts.Token;

    /// <summary>Producer side: no more data (error null) or the producer failed (the reader rethrows it).</summary>
    public void Complete(Exception? error = null)
    {
        if (error is null)
        {
            ((PipeWriterStream)Writer).FlushChunk();
        }
        else
        {
            _producerError = error;
        }

        _chunks.CompleteAdding();
    }

    /// <summary>Consumer side gave up: unblocks and cancels the producer.</summary>
    public void Abort() => _cts.Cancel();

    /// <summary>
    /// Runs <paramref name="produce"/> (writing to <see cref="Writer"/>) and <paramref name="consume"/> (reading <see cref="Reader"/>)
    /// on two threads. A producer failure reaches the consumer through the pipe; a consumer failure aborts the producer,
    /// waits for it, and is rethrown.
    /// </summary>
    public async Task<T> RunAsync<T>(Action produce, Func<T> consume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(produce);
        var producer = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    produce();
                    Complete();
                }
                catch (Exception ex)
                {
                    Complete(ex);
                }
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        T result;
        try
        {
            result = await Task.Factory.StartNew(consume, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        catch
        {
            Abort();
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            throw;
        }

        await producer.ConfigureAwait(false);
        return result;
    }

    public void Dispose()
    {
        _cts.Dispose();
        _chunks.Dispose();
    }

    private sealed class PipeWriterStream(BoundedPipe pipe) : Stream
    {
        private byte[]? _buffer;
        private int _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                _buffer ??= ArrayPool<byte>.Shared.Rent(pipe._chunkSize);
                var n = Math.Min(buffer.Length, _buffer.Length - _length);
                buffer[..n].CopyTo(_buffer.AsSpan(_length));
                _length += n;
                buffer = buffer[n..];
                if (_length == _buffer.Length)
                {
                    FlushChunk();
                }
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        internal void FlushChunk()
        {
            if (_buffer is not null && _length > 0)
            {
                pipe._chunks.Add((_buffer, _length), pipe._cts.Token);
                _buffer = null;
                _length = 0;
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private sealed class PipeReaderStream(BoundedPipe pipe) : Stream
    {
        private byte[]? _current;
        private int _offset;
        private int _length;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            while (_current is null || _offset == _length)
            {
                if (_current is not null)
                {
                    ArrayPool<byte>.Shared.Return(_current);
                    _current = null;
                }

                if (!pipe._chunks.TryTake(out var chunk, Timeout.Infinite, pipe._cts.Token))
                {
                    if (pipe._producerError is { } error)
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
                    }

                    return 0;
                }

                (_current, _offset, _length) = (chunk.Buffer, 0, chunk.Length);
            }

            var n = Math.Min(buffer.Length, _length - _offset);
            _current.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
