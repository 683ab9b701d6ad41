// Owns: the builder's view of layer snapshots: unpacked directories for a layer stack, and adopting a RUN's upper dir as one.
using Gantry.Oci;

namespace Gantry.Build.Steps;

/// <summary>Unpacked layer directories (overlay lower dirs) for the layers of an image being built.</summary>
public interface IRootfsProvider
{
    /// <summary>The unpacked directory of each layer, bottom first; missing ones are unpacked from the content store.</summary>
    Task<IReadOnlyList<string>> GetLayerDirsAsync(IReadOnlyList<Descriptor> layers, IReadOnlyList<Digest> diffIds, CancellationToken cancellationToken);

    /// <summary>Takes <paramref name="dir"/> (moved, not copied) as the unpacked form of the top layer of <paramref name="diffIds"/>.</summary>
    Task AdoptAsync(IReadOnlyList<Digest> diffIds, string dir, CancellationToken cancellationToken);
}
