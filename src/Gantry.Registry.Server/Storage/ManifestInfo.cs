// Owns: validating a pushed manifest or index and extracting what it references (blobs, children, subject).
using System.Text.Json;
using Gantry.Oci;
using Gantry.Registry.Server.Http;

namespace Gantry.Registry.Server.Storage;

/// <summary>What the registry needs to know about a manifest: its type, referenced content and subject.</summary>
public sealed record ManifestInfo
{
    public required string MediaType { get; init; }

    public string? ArtifactType { get; init; }

    public string? ConfigMediaType { get; init; }

    /// <summary>Config and layers (blobs) this manifest needs, skipping non-distributable layers.</summary>
    public required IReadOnlyList<Digest> Blobs { get; init; }

    /// <summary>Child manifests of an index.</summary>
    public required IReadOnlyList<Digest> Children { get; init; }

    public Digest? Subject { get; init; }

    /// <summary>The raw JSON of the manifest's annotations object, if any.</summary>
    public string? AnnotationsJson { get; init; }

    public bool IsIndex => MediaTypes.IsIndex(MediaType);

    /// <summary>The artifact type a referrers listing shows: artifactType, else the config's media type.</summary>
    public string? EffectiveArtifactType => ArtifactType ?? (IsIndex ? null : ConfigMediaType);

    /// <summary>Parses and validates; throws MANIFEST_INVALID (400) with the reason for anything malformed.</summary>
    public static ManifestInfo Parse(ReadOnlySpan<byte> json, string? contentType)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw RegistryError.ManifestInvalid($"not valid JSON: {ex.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw RegistryError.ManifestInvalid("a manifest is a JSON object");
            }

            if (!root.TryGetProperty("schemaVersion", out var sv) || sv.ValueKind != JsonValueKind.Number || !sv.TryGetInt32(out var schema) || schema != 2)
            {
                throw RegistryError.ManifestInvalid("schemaVersion must be 2 (schema 1 manifests are not supported)");
            }

            var declared = root.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString() : null;
            var header = NormalizeContentType(contentType);
            if (declared is not null && header is not null && MediaTypes.IsManifestOrIndex(header) && !string.Equals(declared, header, StringComparison.Ordinal))
            {
                throw RegistryError.ManifestInvalid($"mediaType '{declared}' does not match Content-Type '{header}'");
            }

            var hasConfig = root.TryGetProperty("config", out var config);
            var hasManifests = root.TryGetProperty("manifests", out var manifests);
            var mediaType = declared
                ?? (header is not null && MediaTypes.IsManifestOrIndex(header) ? header : null)
                ?? (hasManifests ? MediaTypes.OciIndex : hasConfig ? MediaTypes.OciManifest : null)
                ?? throw RegistryError.ManifestInvalid("neither an image manifest nor an index (no mediaType, config or manifests)");
            if (!MediaTypes.IsManifestOrIndex(mediaType))
            {
                throw RegistryError.ManifestInvalid($"unsupported manifest media type '{mediaType}'");
            }

            string? artifactType = root.TryGetProperty("artifactType", out var at) && at.ValueKind == JsonValueKind.String ? at.GetString() : null;
            Digest? subject = null;
            if (root.TryGetProperty("subject", out var subj) && subj.ValueKind != JsonValueKind.Null)
            {
                subject = ReadDescriptor(subj, "subject").Digest;
            }

            var annotations = root.TryGetProperty("annotations", out var ann) && ann.ValueKind == JsonValueKind.Object ? ann.GetRawText() : null;
            var blobs = new List<Digest>();
            var children = new List<Digest>();
            string? configMediaType = null;
            if (MediaTypes.IsIndex(mediaType))
            {
                if (!hasManifests || manifests.ValueKind != JsonValueKind.Array)
                {
                    throw RegistryError.ManifestInvalid("an index needs a 'manifests' array");
                }

                var i = 0;
                foreach (var m in manifests.EnumerateArray())
                {
                    children.Add(ReadDescriptor(m, $"manifests[{i++}]").Digest);
                }
            }
            else
            {
                if (!hasConfig)
                {
                    throw RegistryError.ManifestInvalid("an image manifest needs a 'config' descriptor");
                }

                var c = ReadDescriptor(config, "config");
                configMediaType = c.MediaType;
                blobs.Add(c.Digest);
                if (!root.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                {
                    throw RegistryError.ManifestInvalid("an image manifest needs a 'layers' array");
                }

                var i = 0;
                foreach (var l in layers.EnumerateArray())
                {
                    var d = ReadDescriptor(l, $"layers[{i++}]");
                    if (!MediaTypes.IsNondistributable(d.MediaType))
                    {
                        blobs.Add(d.Digest);
                    }
                }
            }

            return new ManifestInfo
            {
                MediaType = mediaType,
                ArtifactType = artifactType,
                ConfigMediaType = configMediaType,
                Blobs = blobs,
                Children = children,
                Subject = subject,
                AnnotationsJson = annotations,
            };
        }
    }

    /// <summary>Content-Type without parameters, or null when absent or generic.</summary>
    public static string? NormalizeContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var semi = contentType.IndexOf(';', StringComparison.Ordinal);
        var value = (semi >= 0 ? contentType[..semi] : contentType).Trim();
        return value is "application/json" or "application/octet-stream" or "" ? null : value;
    }

    private static (string MediaType, Digest Digest, long Size) ReadDescriptor(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw RegistryError.ManifestInvalid($"{where} must be a descriptor object");
        }

        if (!e.TryGetProperty("mediaType", out var mt) || mt.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(mt.GetString()))
        {
            throw RegistryError.ManifestInvalid($"{where} needs a mediaType");
        }

        if (!e.TryGetProperty("digest", out var dg) || dg.ValueKind != JsonValueKind.String || !Digest.TryParse(dg.GetString(), out var digest, out var error))
        {
            throw RegistryError.ManifestInvalid($"{where} needs a valid digest");
        }

        _ = error;
        if (!e.TryGetProperty("size", out var sz) || sz.ValueKind != JsonValueKind.Number || !sz.TryGetInt64(out var size) || size < 0)
        {
            throw RegistryError.ManifestInvalid($"{where} needs a non-negative size");
        }

        return (mt.GetString()!, digest, size);
    }
}
