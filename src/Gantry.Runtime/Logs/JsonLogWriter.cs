// Owns: writing a container's stdout/stderr as docker json-file lines (split at newlines, flushed per chunk), thread-safe.
using System.Text;
using System.Text.Json;
using Gantry.Runtime.Spec;

namespace Gantry.Runtime.Logs;

public sealed class JsonLogWriter : IDisposable
{
    private readonly FileStream file;
    private readonly Lock gate = new();

    public JsonLogWriter(string path)
    {
        file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
    }

    /// <summary>A write-only stream that logs everything written to it under <paramref name="stream"/> (stdout or stderr), optionally teeing to <paramref name="tee"/>.</summary>
    public Stream CreateStream(string stream, Stream? tee = null) => new LogStream(this, stream, tee);

    internal void Append(string stream, string text)
    {
        var line = new LogLine { Log = text, Stream = stream, Time = DateTimeOffset.UtcNow };
        var json = JsonSerializer.SerializeToUtf8Bytes(line, CompactLogJson.Default.LogLine);
        lock (gate)
        {
            file.Write(json);
            file.WriteByte((byte)'\n');
            file.Flush();
        }
    }

    public void Dispose() => file.Dispose();

    private sealed class LogStream(JsonLogWriter owner, string stream, Stream? tee) : Stream
    {
        private readonly StringBuilder pending = new();
        private readonly Decoder decoder = Encoding.UTF8.GetDecoder();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
            tee?.Flush();
            if (pending.Length > 0)
            {
                owner.Append(stream, pending.ToString());
                pending.Clear();
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (tee is not null)
            {
                try
                {
                    tee.Write(buffer);
                    tee.Flush();
                }
                catch (IOException)
                {
                }
            }

            var chars = new char[decoder.GetCharCount(buffer, flush: false)];
            decoder.GetChars(buffer, chars, flush: false);
            foreach (var c in chars)
            {
                pending.Append(c);
                if (c == '\n')
                {
                    owner.Append(stream, pending.ToString());
                    pending.Clear();
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

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flush();
            return Task.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Flush();
            }

            base.Dispose(disposing);
        }
    }
}
