// Owns: the OCI content descriptor and platform records.
using System.Text.Json.Serialization;

namespace Gantry.Oci;

/// <summary>An OCI descriptor: what a piece of content is, its digest and its size.</summary>
public sealed record Descriptor
{
    [JsonPropertyName("mediaType")]
    public required string MediaType { get; init; }

    [JsonPropertyName("digest")]
    public required Digest Digest { get; init; }

    [JsonPropertyName("size")]
    public required long Size { get; init; }

    [JsonPropertyName("urls")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Urls { get; init; }

    [JsonPropertyName("annotations")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    [JsonPropertyName("data")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Data { get; init; }

    [JsonPropertyName("platform")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Platform? Platform { get; init; }

    [JsonPropertyName("artifactType")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ArtifactType { get; init; }

    public static Descriptor For(string mediaType, ReadOnlySpan<byte> content) => new()
    {
        MediaType = mediaType,
        Digest = Digest.Compute(content),
        Size = content.Length,
    };
}

/// <summary>An OCI platform (os/architecture/variant).</summary>
public sealed record Platform
{
    [JsonPropertyName("architecture")]
    public required string Architecture { get; init; }

    [JsonPropertyName("os")]
    public required string Os { get; init; }

    [JsonPropertyName("os.version")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OsVersion { get; init; }

    [JsonPropertyName("os.features")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? OsFeatures { get; init; }

    [JsonPropertyName("variant")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Variant { get; init; }

    /// <summary>The platform this process runs on, in OCI/Go naming (linux/amd64, linux/arm64/v8…).</summary>
    public static Platform Current { get; } = new()
    {
        Os = "linux",
        Architecture = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.X64 => "amd64",
            System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
            System.Runtime.InteropServices.Architecture.Arm => "arm",
            System.Runtime.InteropServices.Architecture.X86 => "386",
            System.Runtime.InteropServices.Architecture.S390x => "s390x",
            System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
            System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
            var other => other.ToString().ToLowerInvariant(),
        },
    };

    /// <summary>Parses "os/arch[/variant]" as docker's --platform flag takes it.</summary>
    public static Platform Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(string.IsNullOrWhiteSpace))
        {
            throw new GantryException($"invalid platform '{value}': use OS/ARCH[/VARIANT], e.g. linux/amd64");
        }

        return new Platform { Os = parts[0].ToLowerInvariant(), Architecture = parts[1].ToLowerInvariant(), Variant = parts.Length == 3 ? parts[2] : null };
    }

    /// <summary>True when this platform (from an index) satisfies the wanted one; an absent variant matches any.</summary>
    public bool Matches(Platform wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        return string.Equals(Os, wanted.Os, StringComparison.Ordinal)
            && string.Equals(Architecture, wanted.Architecture, StringComparison.Ordinal)
            && (wanted.Variant is null || Variant is null || string.Equals(Variant, wanted.Variant, StringComparison.Ordinal));
    }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
