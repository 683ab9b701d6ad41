// Owns: removing images the way docker rmi does (untag, delete on last name, conflicts, -f), pruning, GC and disk usage.
using System.Text;
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Content;

public sealed partial class ImageStore
{
    /// <summary>
    /// docker rmi for one argument. By name: untag it; when it was the image's last name, delete the image.
    /// By ID: untag every name and delete (refused without <paramref name="force"/> when tagged in several places).
    /// <paramref name="isInUse"/> (image ID → in use by a container) makes a deletion a conflict unless forced.
    /// Unreferenced blobs are removed afterwards.
    /// </summary>
    public async Task<RemoveResult> RemoveAsync(string nameOrId, bool force = false, Func<Digest, bool>? isInUse = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrId);
        var untagged = new List<string>();
        Image image;
        using (await LockIndexAsync(cancellationToken).ConfigureAwait(false))
        {
            var entries = ReadIndexEntries();
            image = await ResolveInAsync(entries, nameOrId, cancellationToken).ConfigureAwait(false) ?? throw NoSuchImage(nameOrId);
            var byName = ResolvedByName(image, nameOrId);
            var inUse = isInUse?.Invoke(image.Id) ?? false;
            if (byName is not null && image.Names.Any(n => n.Tag is not null && n.ToString() != byName.ToString()))
            {
                // Other names remain: untag just this one.
                entries.RemoveAll(e => e.Digest == image.Target.Digest && EntryName(e)?.ToString() == byName.ToString());
                untagged.Add(byName.FamiliarString);
                WriteIndexEntries(entries);
                return new RemoveResult(untagged, [], 0);
            }

            if (byName is null && !force && image.Names.Count(n => n.Tag is not null) > 1)
            {
                throw new GantryException($"conflict: unable to delete {image.Id.Short} (must be forced) - image is referenced in multiple repositories; remove it by name or use -f") { ExitCode = 1 };
            }

            if (inUse && !force)
            {
                throw new GantryException(byName is null
                    ? $"conflict: unable to delete {image.Id.Short} (must be forced) - image is being used by a container; remove the container first or use -f"
                    : $"conflict: unable to remove repository reference \"{byName.FamiliarString}\" (must force) - a container is using its referenced image {image.Id.Short}");
            }

            foreach (var name in image.Names.Where(n => n.Tag is not null))
            {
                untagged.Add(name.FamiliarString);
            }

            foreach (var name in image.Names.Where(n => n.Digest is not null))
            {
                untagged.Add(name.FamiliarString);
            }

            var remove = entries.Where(e => e.Digest == image.Target.Digest).ToList();
            entries.RemoveAll(remove.Contains);

            // A same-ID image stored under another manifest keeps the layers; only delete when none remain.
            WriteIndexEntries(entries);
        }

        var remaining = await ListAsync(cancellationToken).ConfigureAwait(false);
        var deleted = new List<Digest>();
        if (!remaining.Any(i => i.Id == image.Id))
        {
            deleted.Add(image.Id);
            var keptChains = remaining.SelectMany(i => ChainIds(i.Config.RootFs.DiffIds)).ToHashSet();
            deleted.AddRange(ChainIds(image.Config.RootFs.DiffIds).Where(c => !keptChains.Contains(c)).Reverse());
        }

        var gc = await CollectGarbageAsync(cancellationToken).ConfigureAwait(false);
        return new RemoveResult(untagged, deleted, gc.ReclaimedBytes);
    }

    /// <summary>The normalized name the input named, or null when the input was an ID.</summary>
    private static ImageReference? ResolvedByName(Image image, string input)
    {
        if (!ImageReference.TryParse(input, out var reference))
        {
            return null;
        }

        var normalized = reference.Digest is null ? reference.WithDefaultTag() : reference.WithoutTagOrDigest().WithDigest(reference.Digest.Value);
        return image.Names.FirstOrDefault(n => n.ToString() == normalized.ToString());
    }

    /// <summary>docker's layer chain IDs: chain(0) = diff(0), chain(n) = sha256(chain(n-1) + " " + diff(n)).</summary>
    public static IReadOnlyList<Digest> ChainIds(IReadOnlyList<Digest> diffIds)
    {
        ArgumentNullException.ThrowIfNull(diffIds);
        var result = new List<Digest>(diffIds.Count);
        foreach (var diff in diffIds)
        {
            result.Add(result.Count == 0 ? diff : Digest.Compute(Encoding.UTF8.GetBytes($"{result[^1]} {diff}")));
        }

        return result;
    }

    /// <summary>
    /// docker image prune: removes dangling images (or, with <paramref name="all"/>, every image no container uses),
    /// skipping those <paramref name="isInUse"/> reports.
    /// </summary>
    public async Task<PruneResult> PruneAsync(bool all = false, Func<Digest, bool>? isInUse = null, CancellationToken cancellationToken = default)
    {
        var removed = new List<RemoveResult>();
        long reclaimed = 0;
        var before = Blobs.Enumerate().Sum(b => b.Size);
        foreach (var image in await ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if ((!all && !image.IsDangling) || (isInUse?.Invoke(image.Id) ?? false))
            {
                continue;
            }

            try
            {
                var result = await RemoveAsync(image.Target.Digest.ToString(), force: true, isInUse: null, cancellationToken).ConfigureAwait(false);
                removed.Add(result);
            }
            catch (ContentNotFoundException)
            {
                // Removed concurrently.
            }
        }

        await CollectGarbageAsync(cancellationToken).ConfigureAwait(false);
        reclaimed = Math.Max(0, before - Blobs.Enumerate().Sum(b => b.Size));
        return new PruneResult(removed, reclaimed);
    }

    /// <summary>
    /// Mark and sweep under the exclusive GC lock (no write or lease is in flight meanwhile): keeps every blob reachable from
    /// index.json and from the files in <see cref="GcRootsDirectory"/>, removes the rest and any leftover partial writes.
    /// If some stored manifest cannot be read, nothing is removed.
    /// </summary>
    public Task<GcResult> CollectGarbageAsync(CancellationToken cancellationToken = default) => CollectGarbageAsync(null, cancellationToken);

    /// <summary>As <see cref="CollectGarbageAsync(CancellationToken)"/>, but only <paramref name="candidates"/> may be removed (null: any blob).</summary>
    public async Task<GcResult> CollectGarbageAsync(IReadOnlySet<Digest>? candidates, CancellationToken cancellationToken = default)
    {
        using var gcLock = await FileLock.AcquireAsync(Blobs.GcLockPath, exclusive: true, cancellationToken).ConfigureAwait(false);
        List<Descriptor> entries;
        using (await LockIndexAsync(cancellationToken).ConfigureAwait(false))
        {
            entries = ReadIndexEntries();
        }

        var roots = entries.Select(e => e.Digest).ToList();
        foreach (var file in Directory.EnumerateFiles(GcRootsDirectory))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                if (Digest.TryParse(line.Trim(), out var d))
                {
                    roots.Add(d);
                }
            }
        }

        var marked = new HashSet<Digest>();
        var pending = new Stack<Digest>(roots);
        while (pending.Count > 0)
        {
            var digest = pending.Pop();
            if (!marked.Add(digest) || !await Blobs.ExistsAsync(digest, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            if (new FileInfo(Blobs.BlobPath(digest)).Length > 4 << 20)
            {
                continue; // a layer, not a manifest
            }

            var bytes = await File.ReadAllBytesAsync(Blobs.BlobPath(digest), cancellationToken).ConfigureAwait(false);
            foreach (var child in Children(bytes))
            {
                pending.Push(child);
            }
        }

        var removed = new List<Digest>();
        long reclaimed = 0;
        foreach (var (digest, size) in Blobs.Enumerate().ToList())
        {
            if (!marked.Contains(digest) && (candidates is null || candidates.Contains(digest)) && Blobs.Delete(digest))
            {
                removed.Add(digest);
                reclaimed += size;
            }
        }

        foreach (var leftover in candidates is null ? Directory.EnumerateFiles(Blobs.IngestDirectory) : [])
        {
            AtomicFile.TryDelete(leftover);
        }

        foreach (var leftover in Directory.EnumerateFiles(ContentDirectory, ".index.json.tmp-*"))
        {
            AtomicFile.TryDelete(leftover);
        }

        SweepLayerInfo(candidates is null ? null : removed);

        return new GcResult(removed, reclaimed);
    }

    /// <summary>Digests a blob refers to when it is a manifest or index; nothing for other blobs (layers, configs).</summary>
    private static IEnumerable<Digest> Children(byte[] bytes)
    {
        if (bytes.Length == 0 || bytes[0] != (byte)'{')
        {
            return [];
        }

        ManifestProbe probe;
        try
        {
            probe = System.Text.Json.JsonSerializer.Deserialize(bytes, OciJsonContext.Default.ManifestProbe)!;
        }
        catch (System.Text.Json.JsonException)
        {
            return []; // a config or other JSON blob that is not a manifest: it refers to nothing
        }

        if (probe is null)
        {
            return [];
        }

        var children = new List<Digest>();
        if (probe.Manifests is not null)
        {
            children.AddRange(probe.Manifests.Select(m => m.Digest));
        }

        if (probe.Config is not null)
        {
            children.Add(probe.Config.Digest);
        }

        if (probe.Layers is not null)
        {
            children.AddRange(probe.Layers.Select(l => l.Digest));
        }

        return children;
    }

    /// <summary>Image rows of `docker system df`: total, active (in use), the uncompressed size of the distinct layers, and what removing unused images would free.</summary>
    public async Task<ImageDiskUsage> DiskUsageAsync(Func<Digest, bool>? isInUse = null, CancellationToken cancellationToken = default)
    {
        var images = await ListAsync(cancellationToken).ConfigureAwait(false);
        var active = images.Where(i => isInUse?.Invoke(i.Id) ?? false).ToList();
        var all = await SumUniqueLayersAsync(images, cancellationToken).ConfigureAwait(false);
        var used = await SumUniqueLayersAsync(active, cancellationToken).ConfigureAwait(false);
        return new ImageDiskUsage(images.Count, active.Count, all, all - used);
    }

    /// <summary>The uncompressed sizes of the distinct layers of <paramref name="images"/>, as docker counts shared layers once.</summary>
    private async Task<long> SumUniqueLayersAsync(IEnumerable<Image> images, CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var layer in images.SelectMany(i => i.Layers).DistinctBy(l => l.Digest))
        {
            total += await UncompressedSizeAsync(layer, cancellationToken).ConfigureAwait(false);
        }

        return total;
    }
}
