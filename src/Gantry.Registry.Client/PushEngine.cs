// Owns: pushing an image (manifest or index and everything it references) from a blob store to a registry.
using System.Collections.Concurrent;
using Gantry.Oci;
using Gantry.Registry.Client.Recompression;
using Gantry.Registry.Client.Transfer;

namespace Gantry.Registry.Client;

/// <summary>The manifest pushed and its digest/size (docker prints "TAG: digest: sha256:… size: N").</summary>
/// <param name="LayersRecompressed">Layers re-encoded for this push (<see cref="PushCompression"/>); recompressed blobs reused from the store are not counted.</param>
public sealed record PushResult(Digest Digest, long Size, string MediaType, int LayersPushed, int LayersSkipped, int LayersMounted, int LayersRecompressed = 0);

/// <summary>
/// Pushes blobs first (HEAD, then cross-repository mount, then upload; at most <see cref="RegistryOptions.MaxConcurrentUploads"/>
/// layers at a time, the config beside them; one upload per digest at a time) and the manifest last, so a tag never points at missing content.
/// For an index, each child manifest present in the store is pushed by digest before the index.
/// With a <see cref="PushCompression"/>, layers stored in another compression are re-encoded first (diffIDs unchanged) and the
/// manifest pushed is rewritten to match — a Docker v2 manifest becomes OCI when it must carry zstd, as podman does.
/// </summary>
public sealed class PushEngine
{
    private readonly IBlobReader _store;
    private readonly RegistryOptions _options;
    private readonly BlobSourceIndex? _sources;
    private readonly PushCompression? _compression;
    private readonly LayerRecompressor? _recompressor;
    private readonly ConcurrentDictionary<(string Repo, Digest Digest), Lazy<Task<(UploadOutcome, string?)>>> _uploads = new();

    /// <param name="compression">Re-encode layers for the push (null: push the stored bytes as they are).</param>
    /// <param name="recompressor">Where re-encoded layers go; null with <paramref name="compression"/> set needs a writable
    /// <paramref name="store"/> and keeps no cache between pushes.</param>
    public PushEngine(IBlobReader store, RegistryOptions? options = null, BlobSourceIndex? sources = null, PushCompression? compression = null,
        LayerRecompressor? recompressor = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new RegistryOptions();
        _sources = sources;
        _compression = compression;
        _recompressor = recompressor;
        if (compression is not null && recompressor is null)
        {
            _recompressor = store is IBlobStore writable
                ? new LayerRecompressor(writable, null)
                : throw new ArgumentException("recompressing layers needs a writable blob store or a LayerRecompressor", nameof(recompressor));
        }
    }

    /// <param name="root">The manifest or index to push (its bytes are read from the store).</param>
    /// <param name="tag">The tag to put it under, or null to push by digest only.</param>
    public async Task<PushResult> PushAsync(RegistryClient client, string repository, Descriptor root, string? tag,
        IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(root);
        var bytes = await ReadAllAsync(root, cancellationToken).ConfigureAwait(false);
        var mediaType = MediaTypes.IsManifestOrIndex(root.MediaType) ? root.MediaType : OciJson.DetectMediaType(bytes);
        var counts = new int[3];
        using var gate = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentUploads));
        var recompressedBefore = _recompressor?.Recompressed ?? 0;
        var rootDigest = root.Digest;
        if (MediaTypes.IsIndex(mediaType))
        {
            var index = OciJson.ParseIndex(bytes, $"the image index {root.Digest}");
            var children = new List<Descriptor>();
            var changed = false;
            foreach (var child in index.Manifests)
            {
                if (!await _store.ExistsAsync(child.Digest, cancellationToken).ConfigureAwait(false) || !MediaTypes.IsManifest(child.MediaType))
                {
                    children.Add(child);
                    continue;
                }

                var childBytes = await ReadAllAsync(child, cancellationToken).ConfigureAwait(false);
                var (convertedBytes, convertedType) = await ConvertAsync(client, repository, childBytes, child.MediaType, child.Digest, cancellationToken).ConfigureAwait(false);
                var childDigest = Digest.Compute(convertedBytes);
                await PushManifestBlobsAsync(client, repository, convertedBytes, childDigest, gate, counts, progress, cancellationToken).ConfigureAwait(false);
                await client.PutManifestAsync(repository, childDigest.ToString(), convertedType, convertedBytes, cancellationToken).ConfigureAwait(false);
                if (childDigest != child.Digest)
                {
                    changed = true;
                    children.Add(child with { Digest = childDigest, Size = convertedBytes.Length, MediaType = convertedType });
                }
                else
                {
                    children.Add(child);
                }
            }

            if (changed)
            {
                var oci = mediaType == MediaTypes.OciIndex || children.Any(c => c.MediaType == MediaTypes.OciManifest);
                mediaType = oci ? MediaTypes.OciIndex : mediaType;
                bytes = OciJson.Serialize(index with { MediaType = mediaType, Manifests = children });
                rootDigest = Digest.Compute(bytes);
            }
        }
        else
        {
            (bytes, mediaType) = await ConvertAsync(client, repository, bytes, mediaType, root.Digest, cancellationToken).ConfigureAwait(false);
            rootDigest = Digest.Compute(bytes);
            await PushManifestBlobsAsync(client, repository, bytes, rootDigest, gate, counts, progress, cancellationToken).ConfigureAwait(false);
        }

        var digest = await client.PutManifestAsync(repository, tag ?? rootDigest.ToString(), mediaType, bytes, cancellationToken).ConfigureAwait(false);
        var recompressed = (_recompressor?.Recompressed ?? 0) - recompressedBefore;
        return new PushResult(digest, bytes.Length, mediaType, counts[0], counts[1], counts[2], recompressed);
    }

    /// <summary>
    /// Rewrites a manifest for <see cref="_compression"/>: each layer in another compression is re-encoded (or, without
    /// Force, kept when the registry already has it); the manifest turns OCI when a layer is zstd. Unchanged input comes back as is.
    /// </summary>
    private async Task<(byte[] Bytes, string MediaType)> ConvertAsync(RegistryClient client, string repository, byte[] bytes, string mediaType, Digest digest,
        CancellationToken cancellationToken)
    {
        if (_compression is null || _recompressor is null)
        {
            return (bytes, mediaType);
        }

        var manifest = OciJson.ParseManifest(bytes, $"the manifest {digest}");
        IReadOnlyList<Digest>? diffIds = null;
        if (await _store.ExistsAsync(manifest.Config.Digest, cancellationToken).ConfigureAwait(false))
        {
            var config = OciJson.ParseConfig(await ReadAllAsync(manifest.Config, cancellationToken).ConfigureAwait(false), $"the image config {manifest.Config.Digest}");
            diffIds = config.RootFs?.DiffIds;
        }

        var target = _compression.Format;
        var results = new List<(Descriptor Layer, Oci.Compression Compression, bool Changed)>();
        for (var i = 0; i < manifest.Layers.Count; i++)
        {
            var layer = manifest.Layers[i];
            var current = MediaTypes.LayerCompression(layer.MediaType);
            if (current == target || !MediaTypes.IsLayer(layer.MediaType)
                || (MediaTypes.IsNondistributable(layer.MediaType) && !await _store.ExistsAsync(layer.Digest, cancellationToken).ConfigureAwait(false)))
            {
                results.Add((layer, current, false));
                continue;
            }

            if (!_compression.Force && await client.HeadBlobAsync(repository, layer.Digest, cancellationToken, forPush: true).ConfigureAwait(false) is not null)
            {
                // podman without --force-compression: the registry already holds this layer as it is stored; reuse it.
                results.Add((layer, current, false));
                continue;
            }

            var diffId = diffIds is not null && diffIds.Count == manifest.Layers.Count ? diffIds[i] : (Digest?)null;
            var (converted, _) = await _recompressor.RecompressAsync(layer, diffId, target, _compression.Level, layer.MediaType, cancellationToken).ConfigureAwait(false);
            results.Add((converted, target, true));
        }

        var toOci = mediaType != MediaTypes.OciManifest && results.Any(r => r.Compression == Oci.Compression.Zstd);
        if (!toOci && !results.Any(r => r.Changed))
        {
            return (bytes, mediaType);
        }

        var oci = mediaType == MediaTypes.OciManifest || toOci;
        var layers = results.Select(r => r.Changed || toOci
            ? r.Layer with { MediaType = PushCompression.LayerMediaType(r.Layer.MediaType, r.Compression, oci) }
            : r.Layer).ToList();
        var configDescriptor = toOci && manifest.Config.MediaType == MediaTypes.DockerConfig ? manifest.Config with { MediaType = MediaTypes.OciConfig } : manifest.Config;
        var newType = oci ? MediaTypes.OciManifest : mediaType;
        var rewritten = manifest with { MediaType = newType, Config = configDescriptor, Layers = layers };
        return (OciJson.Serialize(rewritten), newType);
    }

    private async Task PushManifestBlobsAsync(RegistryClient client, string repository, byte[] manifestBytes, Digest manifestDigest, SemaphoreSlim gate,
        int[] counts, IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        var manifest = OciJson.ParseManifest(manifestBytes, $"the manifest {manifestDigest}");
        var blobs = new List<(Descriptor Blob, bool IsLayer)>();
        foreach (var layer in manifest.Layers)
        {
            if (MediaTypes.IsNondistributable(layer.MediaType) && !await _store.ExistsAsync(layer.Digest, cancellationToken).ConfigureAwait(false))
            {
                progress?.Report(new TransferEvent(layer.Digest, layer.Size, TransferState.Skipped, Detail: "non-distributable", IsLayer: true));
                continue;
            }

            blobs.Add((layer, true));
        }

        blobs.Add((manifest.Config, false));
        foreach (var (blob, isLayer) in blobs)
        {
            if (!await _store.ExistsAsync(blob.Digest, cancellationToken).ConfigureAwait(false))
            {
                throw new ContentNotFoundException($"blob {blob.Digest} of manifest {manifestDigest} is not in the local store: pull or rebuild the image before pushing it");
            }

            progress?.Report(new TransferEvent(blob.Digest, blob.Size, TransferState.Waiting, IsLayer: isLayer));
        }

        var tasks = blobs.Select(b => PushBlobAsync(client, repository, b.Blob, b.IsLayer, gate, counts, progress, cancellationToken)).ToList();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            foreach (var t in tasks)
            {
                if (t.IsFaulted)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(t.Exception!.InnerException!).Throw();
                }
            }

            throw;
        }
    }

    private async Task PushBlobAsync(RegistryClient client, string repository, Descriptor blob, bool isLayer, SemaphoreSlim gate, int[] counts,
        IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        var upload = _uploads.GetOrAdd((repository, blob.Digest), _ => new Lazy<Task<(UploadOutcome, string?)>>(
            () => UploadOnceAsync(client, repository, blob, isLayer, gate, progress, cancellationToken)));
        var (outcome, from) = await upload.Value.ConfigureAwait(false);
        var slot = outcome switch { UploadOutcome.Pushed => 0, UploadOutcome.AlreadyExists => 1, _ => 2 };
        if (isLayer)
        {
            Interlocked.Increment(ref counts[slot]);
        }

        _ = from;
    }

    private async Task<(UploadOutcome, string?)> UploadOnceAsync(RegistryClient client, string repository, Descriptor blob, bool isLayer, SemaphoreSlim gate,
        IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        // The config (a few KiB) takes no upload slot: with five or more layers to send it would otherwise wait for one
        // and add its HEAD, POST and PUT after the last layer's.
        var gated = isLayer;
        if (gated)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            long sent = 0;
            var mountFrom = _sources?.RepositoriesFor(client.Registry, blob.Digest) ?? [];
            var result = await client.UploadBlobAsync(repository, blob,
                async ct =>
                {
                    sent = 0;
                    return await _store.OpenReadAsync(blob.Digest, ct).ConfigureAwait(false);
                },
                mountFrom,
                n =>
                {
                    sent += n;
                    progress?.Report(new TransferEvent(blob.Digest, blob.Size, TransferState.Transferring, Math.Min(sent, blob.Size), IsLayer: isLayer));
                },
                cancellationToken).ConfigureAwait(false);
            var state = result.Outcome switch
            {
                UploadOutcome.AlreadyExists => TransferState.AlreadyExists,
                UploadOutcome.Mounted => TransferState.Mounted,
                _ => TransferState.Complete,
            };
            progress?.Report(new TransferEvent(blob.Digest, blob.Size, state, blob.Size, result.MountedFrom, isLayer));
            _sources?.Record(client.Registry, repository, blob.Digest);
            return result;
        }
        finally
        {
            if (gated)
            {
                gate.Release();
            }
        }
    }

    private async Task<byte[]> ReadAllAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        var stream = await _store.OpenReadAsync(descriptor.Digest, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var ms = new MemoryStream();
            await using (var verifying = new VerifyingStream(stream, descriptor.Digest, descriptor.Size, $"stored manifest {descriptor.Digest}", leaveOpen: true))
            {
                await verifying.CopyToAsync(ms, cancellationToken).ConfigureAwait(false);
            }

            return ms.ToArray();
        }
    }
}
