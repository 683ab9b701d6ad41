// Owns: unpacking a pull's layers into the snapshot store while they download (the pull engine's layer tap).
using System.Collections.Concurrent;
using Gantry.Oci;
using Gantry.Registry.Client.Transfer;
using Gantry.Snapshots;

namespace Gantry.Cli.Registry;

/// <summary>
/// Hands each downloading layer to <see cref="SnapshotStore.UnpackFromStreamAsync"/>, so the blob is written and unpacked
/// in one pass over the network stream (two cores busy instead of one, no re-read of the blob). Records the uncompressed
/// sizes measured, by blob digest, for <c>images</c> and <c>history</c>.
/// </summary>
internal sealed class SnapshotLayerTap(SnapshotStore snapshots) : ILayerTap
{
    public ConcurrentDictionary<Digest, (Digest DiffId, long Size)> Unpacked { get; } = new();

    public Func<Stream, CancellationToken, Task>? Open(ImageConfig config, Descriptor layer, int index)
    {
        var diffIds = config.RootFs.DiffIds;
        if (index < 0 || index >= diffIds.Count || !snapshots.UsesOverlay || snapshots.HasLayer(diffIds[index]))
        {
            return null;
        }

        var snapshotLayer = new SnapshotLayer(layer, diffIds[index]);
        return async (stream, ct) =>
        {
            if (await snapshots.UnpackFromStreamAsync(snapshotLayer, stream, ct).ConfigureAwait(false) is { } size)
            {
                Unpacked[layer.Digest] = (snapshotLayer.DiffId, size);
            }
        };
    }
}
