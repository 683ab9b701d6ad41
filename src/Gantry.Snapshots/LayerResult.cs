// Owns: the record describing a layer blob that was just written (both digests, size, media type, emptiness).
using Gantry.Oci;

namespace Gantry.Snapshots;

/// <summary>
/// A layer written by <see cref="LayerWriter"/>, <see cref="OverlayDiffer"/> or <see cref="SnapshotStore.CommitAsync(string, Stream, LayerWriteOptions?, CancellationToken)"/>:
/// <see cref="DiffId"/> is the sha256 of the uncompressed tar (for the image config's rootfs.diff_ids), <see cref="Digest"/> and
/// <see cref="Size"/> describe the compressed blob (for the manifest). <see cref="IsEmpty"/> is true when the layer holds no
/// entries at all: the builder then records <c>empty_layer: true</c> history and adds no layer.
/// </summary>
public sealed record LayerResult
{
    public required Digest DiffId { get; init; }

    public required Digest Digest { get; init; }

    public required long Size { get; init; }

    public required string MediaType { get; init; }

    public required bool IsEmpty { get; init; }

    /// <summary>Bytes of the uncompressed tar.</summary>
    public long UncompressedSize { get; init; }

    /// <summary>Number of tar entries (whiteouts included).</summary>
    public int Entries { get; init; }

    /// <summary>Where the layer was also unpacked while it was written (overlay-lower form), when that was asked for and worked.</summary>
    public string? UnpackedDirectory { get; init; }

    /// <summary>Gzip members compressed for this layer (not reused), for <see cref="IO.GzipMemberCache.Record"/> once the blob is stored.</summary>
    internal IReadOnlyList<IO.GzipMember>? CompressedMembers { get; init; }

    /// <summary>How many gzip members were copied from earlier layers through <see cref="LayerWriteOptions.MemberCache"/>.</summary>
    public int ReusedMembers { get; init; }

    /// <summary>The manifest descriptor of the compressed blob.</summary>
    public Descriptor ToDescriptor() => new() { MediaType = MediaType, Digest = Digest, Size = Size };

    /// <summary>Two results are equal when they describe the same layer written the same way; how its gzip members were
    /// obtained (<see cref="CompressedMembers"/>, <see cref="ReusedMembers"/>) is not part of that.</summary>
    public bool Equals(LayerResult? other) =>
        other is not null && DiffId == other.DiffId && Digest == other.Digest && Size == other.Size && MediaType == other.MediaType &&
        IsEmpty == other.IsEmpty && UncompressedSize == other.UncompressedSize && Entries == other.Entries && UnpackedDirectory == other.UnpackedDirectory;

    public override int GetHashCode() => HashCode.Combine(DiffId, Digest, Size, MediaType, IsEmpty, UncompressedSize, Entries, UnpackedDirectory);
}
