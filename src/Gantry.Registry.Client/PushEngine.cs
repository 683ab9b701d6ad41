// Owns: pushing an image (manifest or index and everything it references) from a blob store to a registry.
using System.Collections.Concurrent;
using Gantry.Oci;
using Gantry.Registry.Client.Transfer;

namespace Gantry.Registry.Client;

/// <summary>The manifest pushed and its digest/size (docker prints "TAG: digest: sha256:… size: N").</summary>
public sealed record PushResult(Digest Digest, long Size, string MediaType, int LayersPushed, int LayersSkipped, int LayersMounted);

/// <summary>
/// Pushes blobs first (HEAD, then cross-repository mount, then upload; at most <see cref="RegistryOptions.MaxConcurrentTransfers"/>
/// at a time; one upload per digest at a time) and the manifest last, so a tag never points at missing content.
/// For an index, each child manifest present in the store is pushed by digest before the index.
/// </summary>
public sealed class PushEngine
{
    private readonly IBlobReader _store;
    private readonly RegistryOptions _options;
    private readonly BlobSourceIndex? _sources;
    private readonly ConcurrentDictionary<(string Repo, Digest Digest), Lazy<Task<(UploadOutcome, string?)>>> _uploads = new();

    public PushEngine(IBlobReader store, RegistryOptions? options = null, BlobSourceIndex? sources = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new RegistryOptions();
        _sources = sources;
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
        using var gate = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentTransfers));
        if (MediaTypes.IsIndex(mediaType))
        {
            var index = OciJson.ParseIndex(bytes, $"the image index {root.Digest}");
            foreach (var child in index.Manifests)
            {
                if (!await _store.ExistsAsync(child.Digest, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                if (MediaTypes.IsManifest(child.MediaType))
                {
                    var childBytes = await ReadAllAsync(child, cancellationToken).ConfigureAwait(false);
                    await PushManifestBlobsAsync(client, repository, childBytes, child.Digest, gate, counts, progress, cancellationToken).ConfigureAwait(false);
                    await client.PutManifestAsync(repository, child.Digest.ToString(), child.MediaType, childBytes, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        else
        {
            await PushManifestBlobsAsync(client, repository, bytes, root.Digest, gate, counts, progress, cancellationToken).ConfigureAwait(false);
        }

        var digest = await client.PutManifestAsync(repository, tag ?? root.Digest.ToString(), mediaType, bytes, cancellationToken).ConfigureAwait(false);
        return new PushResult(digest, bytes.Length, mediaType, counts[0], counts[1], counts[2]);
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
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
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
            gate.Release();
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
