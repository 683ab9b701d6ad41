// Owns: the narrow blob-storage interfaces through which the registry client and builder reach a content store.
namespace Gantry.Oci;

/// <summary>Reads content-addressed blobs.</summary>
public interface IBlobReader
{
    /// <summary>True when a blob with this digest is fully stored.</summary>
    ValueTask<bool> ExistsAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>Size of a stored blob, or null if absent.</summary>
    ValueTask<long?> GetSizeAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>Opens a stored blob; throws <see cref="ContentNotFoundException"/> when absent.</summary>
    ValueTask<Stream> OpenReadAsync(Digest digest, CancellationToken cancellationToken = default);
}

/// <summary>Writes content-addressed blobs: ingest, verify size and digest, then make visible atomically.</summary>
public interface IBlobWriter
{
    /// <summary>
    /// Stores <paramref name="content"/> as the blob <paramref name="expected"/> describes. The blob becomes visible only after
    /// its size and digest check; on mismatch nothing is stored and <see cref="DigestMismatchException"/> is thrown.
    /// Returns immediately when the blob is already stored.
    /// </summary>
    Task WriteAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Stores bytes whose digest is computed here; returns the digest.</summary>
    Task<Digest> WriteAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);
}

/// <summary>A blob store that can both read and write.</summary>
public interface IBlobStore : IBlobReader, IBlobWriter;
