// Owns: the builder's unpacked layer dirs under $ROOT/build/layers/<chainID>, made with Gantry.Snapshots' extractor.
using Gantry.Content;
using Gantry.Oci;
using Gantry.Snapshots;

namespace Gantry.Build.Steps;

/// <summary>
/// One directory per layer chain ID, holding that layer alone in overlay-lower form (whiteouts as 0/0 devices, opaque xattrs).
/// Made in a temp dir and renamed into place, so a crash never leaves a half-unpacked layer visible.
/// </summary>
public sealed class LayerDirStore : IRootfsProvider
{
    private readonly ImageStore _store;
    private readonly string _dir;
    private readonly string _tmp;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public LayerDirStore(ImageStore store, string buildDir, string tmpDir)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _dir = Path.Combine(buildDir, "layers");
        _tmp = tmpDir;
        Directory.CreateDirectory(_dir);
        Directory.CreateDirectory(_tmp);
    }

    public string PathFor(Digest chainId) => Path.Combine(_dir, chainId.Encoded);

    public async Task<IReadOnlyList<string>> GetLayerDirsAsync(IReadOnlyList<Descriptor> layers, IReadOnlyList<Digest> diffIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(diffIds);
        if (layers.Count != diffIds.Count)
        {
            throw new GantryException($"image has {layers.Count} layers but {diffIds.Count} diff IDs in its config; the image is corrupt, pull or rebuild it");
        }

        var chains = ImageStore.ChainIds(diffIds);
        var result = new string[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            var target = PathFor(chains[i]);
            result[i] = target;
            if (Directory.Exists(target))
            {
                continue;
            }

            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (Directory.Exists(target))
                {
                    continue;
                }

                var staging = Path.Combine(_tmp, "layer-" + Guid.NewGuid().ToString("N")[..12]);
                Directory.CreateDirectory(staging);
                try
                {
                    await LayerExtractor.ExtractFileAsync(_store.Blobs.BlobPath(layers[i].Digest), staging, new ExtractOptions
                    {
                        Mode = ExtractMode.OverlayLower,
                        ExpectedDiffId = diffIds[i],
                        Sync = false,
                        Description = $"layer {layers[i].Digest}",
                    }, cancellationToken).ConfigureAwait(false);
                    Directory.Move(staging, target);
                }
                catch
                {
                    Native.Dirs.RemoveAll(staging);
                    throw;
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        return result;
    }

    public Task AdoptAsync(IReadOnlyList<Digest> diffIds, string dir, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(diffIds);
        var target = PathFor(ImageStore.ChainIds(diffIds)[^1]);
        if (Directory.Exists(target))
        {
            Native.Dirs.RemoveAll(dir);
            return Task.CompletedTask;
        }

        Directory.Move(dir, target);
        return Task.CompletedTask;
    }

    /// <summary>Removes every unpacked layer dir (gantry builder prune).</summary>
    public void Prune()
    {
        if (Directory.Exists(_dir))
        {
            Native.Dirs.RemoveAll(_dir);
        }
    }
}
