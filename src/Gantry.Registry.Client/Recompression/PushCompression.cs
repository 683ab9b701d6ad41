// Owns: what a push asks of layer compression (podman's --compression-format, --compression-level, --force-compression).
using Gantry.Oci;

namespace Gantry.Registry.Client.Recompression;

/// <summary>
/// The compression a push should use for layers. <see cref="Format"/> is gzip or zstd; <see cref="Level"/> is the codec
/// level (gzip 0–9, zstd 1–22; null: the codec's default); with <see cref="Force"/> every layer is sent in
/// <see cref="Format"/>, without it a layer the registry already holds in its stored compression is reused as it is.
/// </summary>
public sealed record PushCompression(Oci.Compression Format, int? Level = null, bool Force = true)
{
    /// <summary>Parses "gzip" or "zstd" (the values podman accepts besides zstd:chunked, which Gantry does not write).</summary>
    public static PushCompression Parse(string format, int? level, bool? force)
    {
        ArgumentNullException.ThrowIfNull(format);
        var parsed = format.Trim().ToLowerInvariant() switch
        {
            "gzip" => Oci.Compression.Gzip,
            "zstd" => Oci.Compression.Zstd,
            _ => throw new GantryException($"unsupported --compression-format '{format}': use gzip or zstd"),
        };
        if (level is { } l)
        {
            var (min, max) = parsed == Oci.Compression.Gzip ? (0, 9) : (1, 22);
            if (l < min || l > max)
            {
                throw new GantryException($"--compression-level {l} is out of range for {format}: use {min} to {max}");
            }
        }

        return new PushCompression(parsed, level, force ?? true);
    }

    /// <summary>The media type a layer of <paramref name="original"/> type gets once stored in <paramref name="compression"/>.</summary>
    public static string LayerMediaType(string original, Oci.Compression compression, bool oci)
    {
        var nondistributable = MediaTypes.IsNondistributable(original);
        if (!oci)
        {
            return compression == Oci.Compression.Gzip
                ? nondistributable ? MediaTypes.DockerLayerForeignGzip : MediaTypes.DockerLayerGzip
                : throw new GantryException($"a Docker v2 manifest cannot carry {compression} layers: convert the manifest to OCI");
        }

        return (compression, nondistributable) switch
        {
            (Oci.Compression.Gzip, false) => MediaTypes.OciLayerGzip,
            (Oci.Compression.Zstd, false) => MediaTypes.OciLayerZstd,
            (Oci.Compression.None, false) => MediaTypes.OciLayer,
            (Oci.Compression.Gzip, true) => MediaTypes.OciLayerNondistributableGzip,
            (Oci.Compression.Zstd, true) => MediaTypes.OciLayerNondistributableZstd,
            _ => MediaTypes.OciLayerNondistributable,
        };
    }
}
