// Owns: what a pull leaves in the store: the root descriptor (tag target at the registry) and the platform image chosen.
using Gantry.Oci;

namespace Gantry.Registry.Client;

/// <param name="Root">What the tag or digest pointed to at the registry (an index or a manifest): docker's repo digest.</param>
/// <param name="Manifest">The image manifest chosen for the platform (same as <paramref name="Root"/> for a single-platform image).</param>
/// <param name="Config">The config descriptor; its digest is the image ID.</param>
/// <param name="Source">The registry or mirror the manifest came from.</param>
public sealed record PulledImage(
    Descriptor Root,
    Descriptor Manifest,
    ImageManifest ParsedManifest,
    Descriptor Config,
    ImageConfig ParsedConfig,
    string Source,
    int LayersDownloaded,
    int LayersAlreadyPresent)
{
    public Digest ImageId => Config.Digest;
}
