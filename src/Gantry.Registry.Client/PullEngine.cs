// Owns: pulling one image from a registry (or its mirrors) into a blob store: platform selection, verified concurrent blob fetches.
using System.Collections.Concurrent;
using System.IO.Pipelines;
using Gantry.Oci;
using Gantry.Registry.Client.Transfer;

namespace Gantry.Registry.Client;

/// <summary>
/// Fetches a manifest (or index, then the platform's manifest), then the config and layers — at most
/// <see cref="RegistryOptions.MaxConcurrentTransfers"/> at a time, each verified by size and digest as it streams into the
/// store, skipping blobs the store already has — and stores the manifests last, so nothing refers to missing content.
/// Nothing is tagged here: the caller names the result.
/// </summary>
public sealed class PullEngine
{
    private readonly IBlobStore _store;
    private readonly RegistryOptions _options;
    private readonly BlobSourceIndex? _sources;
    private readonly ILayerTap? _tap;

    public PullEngine(IBlobStore store, RegistryOptions? options = null, BlobSourceIndex? sources = null, ILayerTap? tap = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new RegistryOptions();
        _sources = sources;
        _tap = tap;
    }

    /// <param name="sources">Where to pull from, in order: mirrors first, the real registry last. Later ones are fallbacks.</param>
    /// <param name="reference">A tag or a digest.</param>
    public async Task<PulledImage> PullAsync(IReadOnlyList<RegistryClient> sources, string repository, string reference, Platform? platform,
        IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0)
        {
            throw new ArgumentException("at least one registry is needed", nameof(sources));
        }

        var (root, sourceIndex) = await FirstAnswerAsync(sources, c => c.GetManifestAsync(repository, reference, cancellationToken)).ConfigureAwait(false);
        var usable = sources.Skip(sourceIndex).ToList();
        var client = usable[0];
        var manifestFetched = root;
        if (MediaTypes.IsIndex(root.MediaType))
        {
            var index = OciJson.ParseIndex(root.Bytes, $"the image index of {client.Registry}/{repository}:{reference}");
            var want = platform ?? Platform.Current;
            var chosen = index.Manifests.FirstOrDefault(m => MediaTypes.IsManifest(m.MediaType) && m.Platform is { } p && p.Matches(want))
                ?? throw new RegistryException($"no matching manifest for {want} in the manifest list entries of {client.Registry}/{repository}:{reference} (available: {string.Join(", ", index.Manifests.Where(m => m.Platform is not null).Select(m => m.Platform!.ToString()).Distinct())})", System.Net.HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
            manifestFetched = await client.GetManifestAsync(repository, chosen.Digest.ToString(), cancellationToken).ConfigureAwait(false);
            if (manifestFetched.Bytes.Length != chosen.Size)
            {
                throw new DigestMismatchException($"the manifest {chosen.Digest} of {client.Registry}/{repository} is {manifestFetched.Bytes.Length} bytes, but its index says {chosen.Size}");
            }

            if (!MediaTypes.IsManifest(manifestFetched.MediaType))
            {
                throw new RegistryException($"the index of {client.Registry}/{repository}:{reference} points to {chosen.Digest}, which is not an image manifest but '{manifestFetched.MediaType}'");
            }
        }

        var manifest = OciJson.ParseManifest(manifestFetched.Bytes, $"the manifest of {client.Registry}/{repository}:{reference}");
        foreach (var layer in manifest.Layers)
        {
            if (!MediaTypes.IsLayer(layer.MediaType))
            {
                throw new RegistryException($"{client.Registry}/{repository}:{reference} has a layer {layer.Digest} of unknown media type '{layer.MediaType}': it is not a container image Gantry can run");
            }
        }

        var downloaded = 0;
        var present = 0;
        using var gate = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentTransfers));
        var blobs = new List<(Descriptor Blob, bool IsLayer)> { (manifest.Config, false) };
        blobs.AddRange(manifest.Layers.Select(l => (l, true)));
        foreach (var (blob, isLayer) in blobs)
        {
            progress?.Report(new TransferEvent(blob.Digest, blob.Size, TransferState.Waiting, IsLayer: isLayer));
        }

        var seen = new ConcurrentDictionary<Digest, Task<bool>>();
        ImageConfig? tapConfig = null;
        if (_tap is not null)
        {
            // A tap needs the config (its diff IDs) before the layers: fetch that small blob first.
            var configTask = seen.GetOrAdd(manifest.Config.Digest, _ => FetchBlobAsync(usable, repository, manifest.Config, false, -1, null, gate, progress, cancellationToken));
            await configTask.ConfigureAwait(false);
            tapConfig = await ReadConfigAsync(manifest.Config, $"the image config {manifest.Config.Digest} of {client.Registry}/{repository}", cancellationToken).ConfigureAwait(false);
        }

        var tasks = blobs.Select((b, i) => seen.GetOrAdd(b.Blob.Digest, _ => FetchBlobAsync(usable, repository, b.Blob, b.IsLayer, i - 1, tapConfig, gate, progress, cancellationToken))).ToList();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            // Surface the first real error, not an aggregate.
            foreach (var t in tasks)
            {
                if (t.IsFaulted)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(t.Exception!.InnerException!).Throw();
                }
            }

            throw;
        }

        foreach (var (digest, t) in seen)
        {
            if (digest == manifest.Config.Digest && !manifest.Layers.Any(l => l.Digest == digest))
            {
                continue;
            }

            if (t.Result)
            {
                downloaded++;
            }
            else
            {
                present++;
            }
        }

        var config = tapConfig ?? await ReadConfigAsync(manifest.Config, $"the image config {manifest.Config.Digest} of {client.Registry}/{repository}", cancellationToken).ConfigureAwait(false);
        await _store.WriteAsync(manifestFetched.Descriptor, new MemoryStream(manifestFetched.Bytes, writable: false), cancellationToken).ConfigureAwait(false);
        if (!ReferenceEquals(manifestFetched, root))
        {
            await _store.WriteAsync(root.Descriptor, new MemoryStream(root.Bytes, writable: false), cancellationToken).ConfigureAwait(false);
        }

        return new PulledImage(root.Descriptor, manifestFetched.Descriptor, manifest, manifest.Config, config, client.Registry, downloaded, present);
    }

    private async Task<ImageConfig> ReadConfigAsync(Descriptor configBlob, string what, CancellationToken cancellationToken)
    {
        await using var configStream = await _store.OpenReadAsync(configBlob.Digest, cancellationToken).ConfigureAwait(false);
        using var ms = new MemoryStream();
        await configStream.CopyToAsync(ms, cancellationToken).ConfigureAwait(false);
        return OciJson.ParseConfig(ms.ToArray(), what);
    }

    /// <summary>Fetches one blob into the store; false when it was already there.</summary>
    /// <param name="layerIndex">The blob's position among the manifest's layers (-1 for the config), for the tap.</param>
    private async Task<bool> FetchBlobAsync(IReadOnlyList<RegistryClient> sources, string repository, Descriptor blob, bool isLayer, int layerIndex, ImageConfig? tapConfig,
        SemaphoreSlim gate, IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        if (await _store.ExistsAsync(blob.Digest, cancellationToken).ConfigureAwait(false))
        {
            progress?.Report(new TransferEvent(blob.Digest, blob.Size, TransferState.AlreadyExists, blob.Size, IsLayer: isLayer));
            return false;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Exception? last = null;
            foreach (var client in sources)
            {
                try
                {
                    var consumer = isLayer && tapConfig is not null ? _tap!.Open(tapConfig, blob, layerIndex) : null;
                    await FetchFromAsync(client, repository, blob, isLayer, consumer, progress, cancellationToken).ConfigureAwait(false);
                    _sources?.Record(client.Registry, repository, blob.Digest);
                    return true;
                }
                catch (RegistryException ex) when (!ReferenceEquals(client, sources[^1]))
                {
                    last = ex;
                }
                catch (HttpRequestException ex) when (!ReferenceEquals(client, sources[^1]))
                {
                    last = ex;
                }
                catch (RegistryException ex) when (ex.IsNotFound && MediaTypes.IsNondistributable(blob.MediaType) && blob.Urls is { Count: > 0 })
                {
                    last = ex;
                }
            }

            if (MediaTypes.IsNondistributable(blob.MediaType) && blob.Urls is { Count: > 0 } urls)
            {
                await FetchForeignAsync(blob, urls, isLayer, progress, cancellationToken).ConfigureAwait(false);
                return true;
            }

            throw last ?? new RegistryException($"blob {blob.Digest} could not be fetched");
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task FetchFromAsync(RegistryClient client, string repository, Descriptor blob, bool isLayer, Func<Stream, CancellationToken, Task>? consumer,
        IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        var stream = await client.OpenBlobAsync(repository, blob, cancellationToken).ConfigureAwait(false);
        long done = 0;
        var lastResumes = 0;
        await using (stream.ConfigureAwait(false))
        {
            var counted = new ProgressStream(stream, n =>
            {
                done += n;
                if (stream.Resumes != lastResumes)
                {
                    lastResumes = stream.Resumes;
                    progress?.Report(new TransferEvent(blob.Digest, blob.Size, TransferState.Retrying, done, $"resumed at byte {done}", isLayer));
                }

                progress?.Report(new TransferEvent(blob.Digest, blob.Size, TransferState.Transferring, done, IsLayer: isLayer));
            });
            // The store checks size and digest while it writes (IBlobWriter's contract), so the bytes are hashed once.
            var from = $"{client.Registry}/{repository}";
            if (consumer is null)
            {
                await StoreAsync(blob, counted, from, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await WriteTappedAsync(blob, counted, from, consumer, cancellationToken).ConfigureAwait(false);
            }
        }

        progress?.Report(new TransferEvent(blob.Digest, blob.Size, TransferState.Complete, blob.Size, IsLayer: isLayer));
    }

    /// <summary>Stores a fetched blob; a size or digest mismatch names where the blob came from.</summary>
    private async Task StoreAsync(Descriptor blob, Stream source, string from, CancellationToken cancellationToken)
    {
        try
        {
            await _store.WriteAsync(blob, source, cancellationToken).ConfigureAwait(false);
        }
        catch (DigestMismatchException ex)
        {
            throw new DigestMismatchException($"{ex.Message} (fetched from {from}; nothing was stored)");
        }
    }

    /// <summary>
    /// Stores the blob while a consumer reads the same bytes from a bounded pipe on its own task. The consumer's failure
    /// fails the fetch (after the blob is stored); the fetch's failure reaches the consumer as a read error.
    /// </summary>
    private async Task WriteTappedAsync(Descriptor blob, Stream source, string from, Func<Stream, CancellationToken, Task> consumer, CancellationToken cancellationToken)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20, minimumSegmentSize: 256 << 10, useSynchronizationContext: false));
        var consuming = Task.Run(async () =>
        {
            var reader = pipe.Reader.AsStream(leaveOpen: true);
            try
            {
                await consumer(reader, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await pipe.Reader.CompleteAsync().ConfigureAwait(false);
            }
        }, cancellationToken);
        try
        {
            await StoreAsync(blob, new TeeReadStream(source, pipe.Writer), from, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
            try
            {
                await consuming.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The fetch's own error is the one to report.
            }

            throw;
        }

        await pipe.Writer.CompleteAsync().ConfigureAwait(false);
        await consuming.ConfigureAwait(false);
    }

    private async Task FetchForeignAsync(Descriptor blob, IReadOnlyList<string> urls, bool isLayer, IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        Exception? last = null;
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                continue;
            }

            try
            {
                using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
                using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await using var verifying = new VerifyingStream(body, blob.Digest, blob.Size, $"non-distributable layer {blob.Digest} from {uri}");
                await _store.WriteAsync(blob, verifying, cancellationToken).ConfigureAwait(false);
                progress?.Report(new TransferEvent(blob.Digest, blob.Size, TransferState.Complete, blob.Size, uri.ToString(), isLayer));
                return;
            }
            catch (HttpRequestException ex)
            {
                last = ex;
            }
        }

        throw new RegistryException($"the non-distributable layer {blob.Digest} is not at the registry and none of its URLs ({string.Join(", ", urls)}) could be fetched", inner: last);
    }

    private static async Task<(FetchedManifest Manifest, int Index)> FirstAnswerAsync(IReadOnlyList<RegistryClient> sources, Func<RegistryClient, Task<FetchedManifest>> fetch)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return (await fetch(sources[i]).ConfigureAwait(false), i);
            }
            catch (Exception ex) when (i < sources.Count - 1 && ex is RegistryException or HttpRequestException or IOException)
            {
                // A mirror that fails or lacks the image: fall back to the next source.
            }
        }
    }
}
