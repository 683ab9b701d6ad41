// Owns: what one layer extraction reports.
using Gantry.Oci;

namespace Gantry.Snapshots;

/// <summary>The outcome of unpacking one layer: its diffID (sha256 of the uncompressed tar), entry count and bytes written.</summary>
public sealed record ExtractResult(Digest DiffId, long UncompressedSize, int Entries, long FileBytes);
