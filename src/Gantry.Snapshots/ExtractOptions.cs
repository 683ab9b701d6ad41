// Owns: the knobs of one layer extraction.
namespace Gantry.Snapshots;

/// <summary>Options for <see cref="LayerExtractor.ExtractAsync(Stream, string, ExtractOptions?, CancellationToken)"/>.</summary>
public sealed record ExtractOptions
{
    public ExtractMode Mode { get; init; } = ExtractMode.OverlayLower;

    /// <summary>Set owners from the tar (lchown). Only takes effect as root; otherwise files belong to the caller.</summary>
    public bool PreserveOwnership { get; init; } = true;

    /// <summary>Create block/char devices (root only; skipped silently otherwise). FIFOs are always created.</summary>
    public bool CreateDevices { get; init; } = true;

    /// <summary>Set xattrs from PAX <c>SCHILY.xattr.*</c> records (failures on filesystems without xattr support are ignored
    /// except for <c>security.capability</c>, which is reported).</summary>
    public bool PreserveXattrs { get; init; } = true;

    /// <summary>syncfs(2) the target filesystem once at the end (no per-file fsync).</summary>
    public bool Sync { get; init; } = true;

    /// <summary>When set, the uncompressed tar's sha256 must equal this diffID, otherwise extraction fails with
    /// <see cref="Gantry.Oci.DigestMismatchException"/> (after writing into the target dir, which the caller then discards).</summary>
    public Gantry.Oci.Digest? ExpectedDiffId { get; init; }

    /// <summary>Compression of the input; null sniffs the magic bytes (gzip 1f8b, zstd 28b52ffd, else plain tar).</summary>
    public Gantry.Oci.Compression? Compression { get; init; }

    /// <summary>Treat <c>.wh.*</c> entries as whiteouts (layers). False extracts them as plain files, as ADD does for a user's tar.</summary>
    public bool ApplyWhiteouts { get; init; } = true;

    /// <summary>A name for error messages (e.g. the layer digest).</summary>
    public string? Description { get; init; }

    /// <summary>
    /// Threads that finish small files (data, owner, mode, xattrs, times) in parallel while entries are resolved and created
    /// one by one on the extracting thread; null = one per core (2-8), 0 = everything on the extracting thread.
    /// </summary>
    public int? FileWorkers { get; init; }

    /// <summary>
    /// Overlay-lower mode only: regular files without xattrs that this lookup vouches for are hard-linked from an earlier
    /// layer instead of written (no new inode, no data written), falling back to writing when the link fails.
    /// </summary>
    public SameFileLookup? SameFile { get; init; }
}
