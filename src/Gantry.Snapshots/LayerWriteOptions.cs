// Owns: the knobs for writing a layer tar (compression, media types, timestamp clamping).
using Gantry.Oci;

namespace Gantry.Snapshots;

/// <summary>Options shared by <see cref="LayerWriter"/>, <see cref="OverlayDiffer"/> and snapshot commits.</summary>
public sealed record LayerWriteOptions
{
    /// <summary>Gzip by default (what docker writes); zstd optional; None writes a plain tar.</summary>
    public Compression Compression { get; init; } = Compression.Gzip;

    /// <summary>Use OCI media types (default); false gives docker v2 types (gzip only).</summary>
    public bool OciMediaTypes { get; init; } = true;

    /// <summary>Clamp every mtime to at most this instant (reproducible builds). Defaults to $SOURCE_DATE_EPOCH when set.</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; } = FromEnvironment();

    /// <summary>gzip/zstd level; null uses the default (gzip 6 like Go's DefaultCompression, zstd 3).</summary>
    public int? CompressionLevel { get; init; }

    /// <summary>Gzip members compressed by earlier builds, reused when a chunk's bytes are the same (the build cache sets it);
    /// the output is byte-identical either way. Null compresses every chunk.</summary>
    public IO.GzipMemberCache? MemberCache { get; init; }

    /// <summary>When a layer is unpacked while it is written, files this lookup vouches for are hard-linked from an earlier
    /// layer instead of written (<see cref="ExtractOptions.SameFile"/>); the builder sets it per COPY. Null writes every file.</summary>
    public SameFileLookup? UnpackSameFile { get; init; }

    public static LayerWriteOptions Default { get; } = new();

    /// <summary>Reads $SOURCE_DATE_EPOCH (seconds since the Unix epoch); null when unset or invalid.</summary>
    public static DateTimeOffset? FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        return long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
    }

    /// <summary>The layer media type for these options.</summary>
    public string MediaType => (OciMediaTypes, Compression) switch
    {
        (true, Compression.Gzip) => MediaTypes.OciLayerGzip,
        (true, Compression.Zstd) => MediaTypes.OciLayerZstd,
        (true, _) => MediaTypes.OciLayer,
        (false, Compression.Gzip) => MediaTypes.DockerLayerGzip,
        (false, Compression.Zstd) => MediaTypes.OciLayerZstd,
        (false, _) => "application/vnd.docker.image.rootfs.diff.tar",
    };
}
