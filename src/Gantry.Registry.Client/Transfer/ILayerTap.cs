// Owns: the hook through which a pull's caller consumes each layer's bytes while they download (to unpack it at once).
using Gantry.Oci;

namespace Gantry.Registry.Client.Transfer;

/// <summary>
/// Lets the caller of <see cref="PullEngine"/> see every downloaded layer's compressed bytes as they stream into the blob
/// store, so unpacking overlaps the download instead of re-reading the blob afterwards (docker and podman unpack after).
/// The consumer must not trust the bytes beyond what it verifies itself (a snapshot checks the config's diff ID); the blob
/// is stored only when its own digest verifies, and the pull fails when the consumer fails.
/// </summary>
public interface ILayerTap
{
    /// <summary>
    /// Called as layer <paramref name="index"/> (of <paramref name="config"/>'s image) starts downloading. Returns null to
    /// leave it alone, or a consumer that reads the layer's compressed bytes from the stream it is given, on its own task;
    /// it may stop reading early (the download goes on without it).
    /// </summary>
    Func<Stream, CancellationToken, Task>? Open(ImageConfig config, Descriptor layer, int index);
}
