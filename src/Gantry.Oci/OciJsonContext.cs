// Owns: source-generated System.Text.Json metadata for every OCI record, and the shared serializer entry points.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gantry.Oci;

[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    PropertyNamingPolicy = JsonKnownNamingPolicy.Unspecified,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(Descriptor))]
[JsonSerializable(typeof(Platform))]
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(ManifestProbe))]
[JsonSerializable(typeof(ImageConfig))]
[JsonSerializable(typeof(OciLayoutFile))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<string>))]
public sealed partial class OciJsonContext : JsonSerializerContext;

/// <summary>Parses and writes OCI documents with clear errors for malformed input.</summary>
public static class OciJson
{
    /// <summary>Serializes a record to compact UTF-8 JSON (the bytes that get digested).</summary>
    public static byte[] Serialize<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo) =>
        JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);

    public static byte[] Serialize(ImageManifest value) => Serialize(value, OciJsonContext.Default.ImageManifest);

    public static byte[] Serialize(ImageIndex value) => Serialize(value, OciJsonContext.Default.ImageIndex);

    public static byte[] Serialize(ImageConfig value) => Serialize(value, OciJsonContext.Default.ImageConfig);

    /// <summary>Deserializes, turning malformed input into a <see cref="GantryException"/> naming <paramref name="what"/>.</summary>
    public static T Deserialize<T>(ReadOnlySpan<byte> json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, typeInfo) ?? throw new GantryException($"{what} is empty (JSON null)");
        }
        catch (JsonException ex)
        {
            throw new GantryException($"{what} is not valid JSON: {ex.Message}", ex);
        }
    }

    public static ImageManifest ParseManifest(ReadOnlySpan<byte> json, string what = "manifest")
    {
        var manifest = Deserialize(json, OciJsonContext.Default.ImageManifest, what);
        if (manifest.Config is null || manifest.Layers is null)
        {
            throw new GantryException($"{what} is malformed: it needs 'config' and 'layers'");
        }

        return manifest;
    }

    public static ImageIndex ParseIndex(ReadOnlySpan<byte> json, string what = "image index") =>
        Deserialize(json, OciJsonContext.Default.ImageIndex, what) is { Manifests: not null } index
            ? index
            : throw new GantryException($"{what} is malformed: it needs 'manifests'");

    public static ImageConfig ParseConfig(ReadOnlySpan<byte> json, string what = "image config") =>
        Deserialize(json, OciJsonContext.Default.ImageConfig, what);

    /// <summary>Works out the media type of a manifest-like document from its own field or its shape.</summary>
    public static string DetectMediaType(ReadOnlySpan<byte> json, string what = "manifest")
    {
        var probe = Deserialize(json, OciJsonContext.Default.ManifestProbe, what);
        if (!string.IsNullOrEmpty(probe.MediaType))
        {
            return probe.MediaType;
        }

        if (probe.Manifests is not null)
        {
            return MediaTypes.OciIndex;
        }

        if (probe.Config is not null)
        {
            return MediaTypes.OciManifest;
        }

        throw new GantryException($"{what} is neither an image manifest nor an index (no mediaType, config or manifests)");
    }
}
