// Owns: the docker-archive manifest.json record and its source-generated JSON context.
using System.Text.Json.Serialization;

namespace Gantry.Content.Archives;

/// <summary>One entry of a docker-archive <c>manifest.json</c>.</summary>
public sealed record DockerArchiveEntry
{
    [JsonPropertyName("Config")]
    public string Config { get; init; } = string.Empty;

    [JsonPropertyName("RepoTags")]
    public IReadOnlyList<string>? RepoTags { get; init; }

    [JsonPropertyName("Layers")]
    public IReadOnlyList<string> Layers { get; init; } = [];
}

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(List<DockerArchiveEntry>))]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, string>>))]
internal sealed partial class ArchiveJsonContext : JsonSerializerContext;
