// Owns: the contract of a write sink that digests what it is given, so a writer above it need not hash the same bytes again.
namespace Gantry.Oci.IO;

/// <summary>A writable stream that computes the digest of everything written to it (the content store's ingest sink).</summary>
public interface IDigestingStream
{
    /// <summary>Bytes written so far.</summary>
    long Written { get; }

    /// <summary>The digest of the bytes written so far; reading it does not end the hash.</summary>
    Digest CurrentDigest { get; }
}
