// Owns: what the build cache remembers about one completed filesystem step (its layer or that it changed nothing).
using System.Text.Json.Serialization;
using Gantry.Oci;

namespace Gantry.Build.Cache;

/// <summary>The result of a RUN/COPY/ADD/WORKDIR step: a layer (compressed descriptor + diffID) or no layer at all.</summary>
public sealed record StepCacheEntry
{
    /// <summary>The compressed layer blob in the content store; null when the step changed no files.</summary>
    [JsonPropertyName("layer")]
    public Descriptor? Layer { get; init; }

    /// <summary>The digest of the uncompressed layer tar; null when <see cref="Layer"/> is null.</summary>
    [JsonPropertyName("diffId")]
    public string? DiffId { get; init; }

    [JsonPropertyName("created")]
    public DateTimeOffset Created { get; init; }

    [JsonPropertyName("createdBy")]
    public string? CreatedBy { get; init; }

    [JsonIgnore]
    public bool IsEmpty => Layer is null;
}
