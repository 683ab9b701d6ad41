// Owns: the builder's unpacked layers: Gantry.Snapshots' store ($ROOT/snapshots/layers/<diffID>), shared with `gantry run`.
using Gantry.Content;
using Gantry.Oci;
using Gantry.Snapshots;

namespace Gantry.Build.Steps;

/// <summary>
/// The builder's view of <see cref="SnapshotStore"/>: one directory per layer diffID in overlay-lower form (whiteouts as 0/0
/// devices, opaque xattrs), the same store `gantry run` stacks, so a layer is unpacked at most once for builds and containers
/// alike. Layers the builder makes itself (RUN upper dirs, COPY/WORKDIR layers unpacked while written) are adopted, never
/// unpacked from their blob. Dirs an older gantry left in <c>$ROOT/build/layers/&lt;chainID&gt;</c> are moved over on first use.
/// </summary>
public sealed class LayerDirStore : IRootfsProvider
{
    private readonly string _legacy;

    public LayerDirStore(ImageStore store, string storeRoot, string buildDir)
    {
        ArgumentNullException.ThrowIfNull(store);
        Snapshots = new SnapshotStore(storeRoot, store.Blobs);
        _legacy = Path.Combine(buildDir, "layers");
    }

    /// <summary>The shared snapshot store ($ROOT/snapshots).</summary>
    public SnapshotStore Snapshots { get; }

    public async Task<IReadOnlyList<string>> GetLayerDirsAsync(IReadOnlyList<Descriptor> layers, IReadOnlyList<Digest> diffIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(diffIds);
        if (layers.Count != diffIds.Count)
        {
            throw new GantryException($"image has {layers.Count} layers but {diffIds.Count} diff IDs in its config; the image is corrupt, pull or rebuild it");
        }

        var result = new string[layers.Count];
        var missing = new List<int>();
        IReadOnlyList<Digest>? chains = null;
        for (var i = 0; i < layers.Count; i++)
        {
            result[i] = Snapshots.LayerPath(diffIds[i]);
            if (Snapshots.HasLayer(diffIds[i]))
            {
                continue;
            }

            if (Directory.Exists(_legacy))
            {
                chains ??= ImageStore.ChainIds(diffIds);
                var old = Path.Combine(_legacy, chains[i].Encoded);
                if (Directory.Exists(old) && Snapshots.AdoptLayer(diffIds[i], old, stripOverlayXattrs: true) is not null)
                {
                    continue;
                }
            }

            missing.Add(i);
        }

        // Unpacked in parallel (the snapshot store bounds and de-duplicates concurrent unpacks of one layer).
        await Task.WhenAll(missing.Select(i => Snapshots.EnsureLayerAsync(new SnapshotLayer(layers[i], diffIds[i]), cancellationToken))).ConfigureAwait(false);
        return result;
    }

    public Task AdoptAsync(IReadOnlyList<Digest> diffIds, string dir, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(diffIds);
        Snapshots.AdoptLayer(diffIds[^1], dir, stripOverlayXattrs: true);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Writes a layer straight into the content store in one pass (tar, parallel compression, diffID and blob digest, the blob
    /// file itself — no temp copy re-read for verification) and records its diffID and size. When <paramref name="unpack"/> is
    /// set, the writer also unpacks the layer into a staging dir of the snapshot store, which is adopted as the layer's
    /// unpacked form. Empty layers are neither stored nor adopted.
    /// </summary>
    public async Task<LayerResult> StoreLayerAsync(ImageStore store, LayerWriteOptions options, bool unpack, Func<Stream, string?, CancellationToken, Task<LayerResult>> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(write);
        var staging = unpack ? Snapshots.CreateStagingDirectory() : null;
        try
        {
            LayerResult? result = null;
            var descriptor = await store.Blobs.WriteAsync(options.MediaType, async (sink, ct) => result = await write(sink, staging, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            if (result is null || descriptor.Digest != result.Digest || descriptor.Size != result.Size)
            {
                throw new GantryException($"the layer written to the content store ({descriptor.Digest}, {descriptor.Size} bytes) differs from the one computed while writing it ({result?.Digest}); build again.");
            }

            if (!result.IsEmpty)
            {
                Gantry.Oci.Diagnostics.PhaseTrace.Mark("layer: blob stored");
                await store.RecordLayerInfoAsync(result.Digest, result.DiffId, result.UncompressedSize, cancellationToken).ConfigureAwait(false);
                Gantry.Oci.Diagnostics.PhaseTrace.Mark("layer: layer info recorded");
                options.MemberCache?.Record(result);
                Gantry.Oci.Diagnostics.PhaseTrace.Mark("layer: member cache recorded");
                if (staging is not null && result.UnpackedDirectory is not null)
                {
                    Snapshots.AdoptLayer(result.DiffId, staging, stripOverlayXattrs: false);
                    staging = null;
                }
            }

            return result;
        }
        finally
        {
            if (staging is not null && Directory.Exists(staging))
            {
                Native.Dirs.RemoveAll(staging);
            }
        }
    }
}
