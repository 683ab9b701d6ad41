// Owns: writing one new file front to back with O_DIRECT (around the page cache), one aligned buffer filling while the other is written.
using System.Runtime.InteropServices;

namespace Gantry.Content;

/// <summary>
/// A write-only stream over a new file opened with <c>O_DIRECT</c>: the bytes go from two 1 MiB aligned buffers straight to
/// the disk, one being written on the thread pool while the next fills, and the last partial block is written padded and
/// the file cut back to its length. A blob is fsynced before it becomes visible anyway, so the page cache would only hold
/// pages that must be written out at once; writing around it spares the CPU the copy into fresh page-cache pages and
/// leaves nothing to flush at the end. <see cref="TryCreate"/> returns null where the file system refuses <c>O_DIRECT</c>.
/// </summary>
internal sealed class DirectFileWriter : Stream
{
    /// <summary>Alignment of buffer addresses, offsets and lengths (the largest logical block size in use).</summary>
    private const int Alignment = 4096;

    private const int BufferBytes = 1 << 20;
    private const int EInval = 22;

    private readonly int _fd;
    private readonly string _path;
    private readonly Slot[] _slots = [new(), new()];
    private int _current;
    private long _written;
    private long _submitted;
    private bool _finished;
    private bool _disposed;

    private DirectFileWriter(int fd, string path)
    {
        _fd = fd;
        _path = path;
    }

    /// <summary>Creates <paramref name="path"/> (which must not exist) for direct writes, or returns null when the file system does not support them.</summary>
    public static DirectFileWriter? TryCreate(string path)
    {
        var fd = Native.Open(path, Native.OWrOnly | Native.OCreat | Native.OExcl | Native.OCloExec | Native.ODirect, 0x1b6);
        if (fd >= 0)
        {
            return new DirectFileWriter(fd, path);
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == EInval)
        {
            return null;
        }

        throw new IOException($"cannot create {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_finished;

    public override long Length => _written;

    public override long Position
    {
        get => _written;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = Fill(buffer.Length, out var slot);
            buffer[..n].CopyTo(slot.Free);
            buffer = buffer[n..];
            Filled(slot, n);
            if (slot.IsFull)
            {
                SubmitAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var n = Fill(buffer.Length, out var slot);
            buffer.Span[..n].CopyTo(slot.Free);
            buffer = buffer[n..];
            Filled(slot, n);
            if (slot.IsFull)
            {
                await SubmitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private int Fill(int wanted, out Slot slot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished)
        {
            throw new InvalidOperationException($"{_path} is already complete");
        }

        slot = _slots[_current];
        return Math.Min(wanted, BufferBytes - slot.Filled);
    }

    private void Filled(Slot slot, int n)
    {
        slot.Filled += n;
        _written += n;
    }

    /// <summary>Hands the current buffer to a background write (after the other buffer's write is done) and switches buffers.</summary>
    private async ValueTask SubmitAsync(CancellationToken cancellationToken)
    {
        var slot = _slots[_current];
        var other = _slots[1 - _current];
        await other.CompleteAsync().ConfigureAwait(false);
        var offset = _submitted;
        var length = slot.Filled;
        _submitted += length;
        slot.Pending = Task.Run(() => WriteAll(slot.Address, length, offset), cancellationToken);
        _current = 1 - _current;
    }

    /// <summary>Writes what is buffered (the last block padded), cuts the file to its length and fsyncs it.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished)
        {
            return;
        }

        var slot = _slots[_current];
        await _slots[1 - _current].CompleteAsync().ConfigureAwait(false);
        if (slot.Filled > 0)
        {
            var padded = (slot.Filled + Alignment - 1) / Alignment * Alignment;
            slot.Free[..(padded - slot.Filled)].Clear();
            var offset = _submitted;
            await Task.Run(() => WriteAll(slot.Address, padded, offset), cancellationToken).ConfigureAwait(false);
            _submitted += slot.Filled;
            slot.Filled = 0;
            if (Native.Ftruncate(_fd, _written) != 0)
            {
                throw new IOException($"cannot set the length of {_path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
        }

        if (Native.Fsync(_fd) != 0)
        {
            throw new IOException($"cannot fsync {_path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        _finished = true;
    }

    private void WriteAll(nint address, int length, long offset)
    {
        var done = 0;
        while (done < length)
        {
            var n = Native.Pwrite(_fd, address + done, length - done, offset + done);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Native.EIntr)
                {
                    continue;
                }

                throw new IOException($"cannot write {_path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }

            if (n == 0)
            {
                throw new IOException($"cannot write {_path}: the disk took no bytes");
            }

            done += (int)n;
        }
    }

    public override void Flush()
    {
        // Bytes reach the file in whole buffers and at FinishAsync; a flush in between has nothing it may write.
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            foreach (var slot in _slots)
            {
                try
                {
                    await slot.CompleteAsync().ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // The write's error was (or will be) reported by the write or FinishAsync that waited for it.
                }
            }
        }

        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            foreach (var slot in _slots)
            {
                // A write still running holds its buffer: let it end before the memory goes.
                try
                {
                    slot.Pending?.Wait();
                }
                catch (AggregateException)
                {
                }
            }

            _ = Native.Close(_fd);
        }

        base.Dispose(disposing);
    }

    /// <summary>One aligned buffer (pinned, never moved) and the write that currently owns it.</summary>
    private sealed class Slot
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BufferBytes + Alignment, pinned: true);
        private readonly int _start;

        public Slot()
        {
            var address = Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0);
            _start = (int)((Alignment - (address % Alignment)) % Alignment);
            Address = address + _start;
        }

        public nint Address { get; }

        public int Filled { get; set; }

        public Task? Pending { get; set; }

        public bool IsFull => Filled == BufferBytes;

        public Span<byte> Free => _array.AsSpan(_start + Filled, BufferBytes - Filled);

        /// <summary>Waits for this buffer's write; then the buffer is empty and free to fill.</summary>
        public async ValueTask CompleteAsync()
        {
            if (Pending is { } pending)
            {
                Pending = null;
                Filled = 0;
                await pending.ConfigureAwait(false);
            }
        }
    }
}
