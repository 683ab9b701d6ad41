// Owns: the media type strings of OCI and Docker v2 manifests, indexes, configs and layers.
namespace Gantry.Oci;

public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string OciLayerNondistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    public const string OciLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public const string OciLayerNondistributableZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";

    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerLayerForeignGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    public const string DockerManifestV1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    public static bool IsManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;

    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;

    public static bool IsManifestOrIndex(string? mediaType) => IsManifest(mediaType) || IsIndex(mediaType);

    public static bool IsLayer(string? mediaType) => mediaType is not null &&
        (mediaType.StartsWith("application/vnd.oci.image.layer.", StringComparison.Ordinal) ||
         mediaType.StartsWith("application/vnd.docker.image.rootfs.", StringComparison.Ordinal));

    /// <summary>Foreign (Docker) and non-distributable (OCI) layers, which registries may not serve.</summary>
    public static bool IsNondistributable(string? mediaType) => mediaType is not null &&
        (mediaType.Contains(".nondistributable.", StringComparison.Ordinal) ||
         mediaType.Contains(".foreign.", StringComparison.Ordinal));

    public static Compression LayerCompression(string? mediaType) => mediaType switch
    {
        null => Compression.None,
        _ when mediaType.EndsWith("+gzip", StringComparison.Ordinal) || mediaType.EndsWith(".tar.gzip", StringComparison.Ordinal) => Compression.Gzip,
        _ when mediaType.EndsWith("+zstd", StringComparison.Ordinal) => Compression.Zstd,
        _ => Compression.None,
    };

    /// <summary>Every manifest and index type, for registry Accept headers.</summary>
    public static readonly IReadOnlyList<string> AllManifestTypes = [OciManifest, OciIndex, DockerManifest, DockerManifestList];
}

public enum Compression
{
    None,
    Gzip,
    Zstd,
}
