// Owns: the per-layer metadata record (blob digest → diff ID and uncompressed tar size) and its source-generated JSON.
using System.Text.Json.Serialization;
using Gantry.Oci;

namespace Gantry.Content;

/// <summary>
/// What a layer blob holds once decompressed: its diff ID (the digest of the uncompressed tar) and the tar's size in
/// bytes. Docker and podman report image sizes as the sum of these sizes.
/// </summary>
public sealed record LayerInfo(Digest Blob, Digest DiffId, long UncompressedSize);

/// <summary>The on-disk form of a <see cref="LayerInfo"/> (<c>content/layerinfo/ALG/HEX</c>); the blob digest is the file name.</summary>
internal sealed record LayerInfoFile
{
    [JsonPropertyName("diffID")]
    public string DiffId { get; init; } = string.Empty;

    [JsonPropertyName("size")]
    public long Size { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(LayerInfoFile))]
internal sealed partial class LayerInfoJsonContext : JsonSerializerContext;
