// Owns: a blob download stream that reconnects with a Range request after the connection drops, continuing at the same byte.
using Gantry.Registry.Client.Transport;

namespace Gantry.Registry.Client.Transfer;

/// <summary>
/// Reads a blob of known size from successive HTTP responses: when a read fails or ends early it asks the opener for the rest
/// (<c>Range: bytes=N-</c>) and carries on, up to a retry limit. Verification of the bytes stays with the caller.
/// </summary>
public sealed class ResumableBlobStream : Stream
{
    private readonly Func<long, CancellationToken, Task<Stream>> _open;
    private readonly long _size;
    private readonly int _maxResumes;
    private readonly TimeSpan _delay;
    private Stream? _current;
    private long _position;

    private readonly string _what;

    public ResumableBlobStream(Func<long, CancellationToken, Task<Stream>> open, long size, int maxResumes, TimeSpan delay, Stream? first = null, string? what = null)
    {
        _what = what ?? "blob";
        _open = open;
        _size = size;
        _maxResumes = maxResumes;
        _delay = delay;
        _current = first;
    }

    /// <summary>How many times the download was resumed with a Range request.</summary>
    public int Resumes { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _size;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var failures = 0;
        while (true)
        {
            try
            {
                _current ??= await _open(_position, cancellationToken).ConfigureAwait(false);
                var n = await _current.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0 && _size >= 0 && _position < _size)
                {
                    throw new IOException($"the connection ended after {_position} of {_size} bytes");
                }

                _position += n;
                return n;
            }
            catch (Exception ex) when (RetryHandler.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                if (Resumes >= _maxResumes)
                {
                    throw new RegistryException($"the download of {_what} was cut off after {_position} of {_size} bytes and could not be resumed ({_maxResumes} tries): {ex.Message}", inner: ex);
                }

                failures++;
                Resumes++;
                if (_current is not null)
                {
                    await _current.DisposeAsync().ConfigureAwait(false);
                    _current = null;
                }

                await Task.Delay(_delay * failures, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _current?.Dispose();
        }

        base.Dispose(disposing);
    }
}
