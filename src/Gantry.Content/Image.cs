// Owns: the resolved view of one stored image: its top-level descriptor, platform manifest, config, layers and names.
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Content;

/// <summary>
/// An image in the store. <see cref="Target"/> is what index.json points at (a manifest, or an index whose
/// platform manifest was chosen); <see cref="Id"/> is the config digest, as docker's classic store and podman show it.
/// </summary>
public sealed record Image
{
    /// <summary>The image ID: the digest of the config blob.</summary>
    public required Digest Id { get; init; }

    /// <summary>The descriptor index.json holds (manifest or index), without name annotations.</summary>
    public required Descriptor Target { get; init; }

    /// <summary>The platform manifest's descriptor (equal to <see cref="Target"/> unless the target is an index).</summary>
    public required Descriptor ManifestDescriptor { get; init; }

    /// <summary>The manifest bytes exactly as stored.</summary>
    public required byte[] ManifestBytes { get; init; }

    public required ImageManifest Manifest { get; init; }

    /// <summary>The config bytes exactly as stored.</summary>
    public required byte[] ConfigBytes { get; init; }

    public required ImageConfig Config { get; init; }

    /// <summary>Full normalized names (with tag or digest) pointing at this image, sorted.</summary>
    public required IReadOnlyList<ImageReference> Names { get; init; }

    /// <summary>The config descriptor.</summary>
    public Descriptor ConfigDescriptor => Manifest.Config;

    /// <summary>Layer descriptors, bottom first.</summary>
    public IReadOnlyList<Descriptor> Layers => Manifest.Layers;

    public DateTimeOffset? Created => Config.Created;

    /// <summary>True when no name points at the image (docker's &lt;none&gt;:&lt;none&gt;).</summary>
    public bool IsDangling => Names.Count == 0;

    /// <summary>Bytes of content this image needs: layers + config + manifest (+ index).</summary>
    public long Size => Layers.Sum(l => l.Size) + ConfigDescriptor.Size + ManifestDescriptor.Size + (Target.Digest == ManifestDescriptor.Digest ? 0 : Target.Size);

    /// <summary>Docker's RepoTags: familiar name:tag for each tagged name.</summary>
    public IReadOnlyList<string> RepoTags => [.. Names.Where(n => n.Tag is not null).Select(n => n.WithoutTagOrDigest().FamiliarName + ":" + n.Tag)];

    /// <summary>Docker's RepoDigests: familiar name@digest for each digest name (images pulled or pushed by digest).</summary>
    public IReadOnlyList<string> RepoDigests => [.. Names.Where(n => n.Digest is not null).Select(n => $"{n.FamiliarName}@{n.Digest}").Distinct(StringComparer.Ordinal)];
}
