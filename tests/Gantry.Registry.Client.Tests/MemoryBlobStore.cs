// Owns: an in-memory IBlobStore for the client tests (verifies size and digest on write, like the real store).
using System.Collections.Concurrent;
using Gantry.Oci;

namespace Gantry.Registry.Client.Tests;

public sealed class MemoryBlobStore : IBlobStore
{
    public ConcurrentDictionary<Digest, byte[]> Blobs { get; } = new();

    public int Writes;

    public ValueTask<bool> ExistsAsync(Digest digest, CancellationToken cancellationToken = default) => ValueTask.FromResult(Blobs.ContainsKey(digest));

    public ValueTask<long?> GetSizeAsync(Digest digest, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Blobs.TryGetValue(digest, out var b) ? (long?)b.Length : null);

    public ValueTask<Stream> OpenReadAsync(Digest digest, CancellationToken cancellationToken = default) =>
        Blobs.TryGetValue(digest, out var b)
            ? ValueTask.FromResult<Stream>(new MemoryStream(b, writable: false))
            : throw new ContentNotFoundException($"blob {digest} not found");

    public async Task WriteAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default)
    {
        if (Blobs.ContainsKey(expected.Digest))
        {
            return;
        }

        using var ms = new MemoryStream();
        await using (var v = new VerifyingStream(content, expected.Digest, expected.Size, leaveOpen: true))
        {
            await v.CopyToAsync(ms, cancellationToken);
        }

        Interlocked.Increment(ref Writes);
        Blobs[expected.Digest] = ms.ToArray();
    }

    public async Task<Digest> WriteAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var d = Digest.Compute(content.Span);
        await WriteAsync(new Descriptor { MediaType = "application/octet-stream", Digest = d, Size = content.Length }, new MemoryStream(content.ToArray()), cancellationToken);
        return d;
    }
}
