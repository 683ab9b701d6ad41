// Owns: a write-only stream that splits a RUN step's output into lines for progress, keeping the tail for error messages.
using System.Text;

namespace Gantry.Build.Steps;

/// <summary>Buffers bytes into lines, hands each to a callback, and keeps the last lines for a failure message.</summary>
public sealed class LineStream(Action<string> onLine, int keepLines = 40) : Stream
{
    private readonly Lock _lock = new();
    private readonly MemoryStream _partial = new();
    private readonly Queue<string> _tail = new();

    public IReadOnlyList<string> Tail
    {
        get
        {
            lock (_lock)
            {
                return _tail.ToList();
            }
        }
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_lock)
        {
            while (buffer.Length > 0)
            {
                var nl = buffer.IndexOf((byte)'\n');
                if (nl < 0)
                {
                    _partial.Write(buffer);
                    return;
                }

                _partial.Write(buffer[..nl]);
                Emit();
                buffer = buffer[(nl + 1)..];
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

    private void Emit()
    {
        var line = Encoding.UTF8.GetString(_partial.GetBuffer(), 0, (int)_partial.Length).TrimEnd('\r');
        _partial.SetLength(0);
        _tail.Enqueue(line);
        while (_tail.Count > keepLines)
        {
            _tail.Dequeue();
        }

        onLine(line);
    }

    public override void Flush()
    {
        lock (_lock)
        {
            if (_partial.Length > 0)
            {
                Emit();
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Flush();
            _partial.Dispose();
        }

        base.Dispose(disposing);
    }
}
