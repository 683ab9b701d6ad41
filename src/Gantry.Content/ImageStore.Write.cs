// Owns: adding images to the store (config + layers → manifest, or a manifest/index byte for byte) and tagging/untagging names.
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Content;

public sealed partial class ImageStore
{
    /// <summary>
    /// Writes <paramref name="config"/> as the config blob, builds an OCI manifest over <paramref name="layers"/> (which must
    /// already be stored), stores it and points <paramref name="names"/> at it (none: a dangling image).
    /// </summary>
    public Task<Image> CreateImageAsync(ImageConfig config, IReadOnlyList<Descriptor> layers, IEnumerable<ImageReference> names, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        return CreateImageAsync(OciJson.Serialize(config), layers, names, cancellationToken);
    }

    /// <summary>As <see cref="CreateImageAsync(ImageConfig, IReadOnlyList{Descriptor}, IEnumerable{ImageReference}, CancellationToken)"/> with the config bytes as they are.</summary>
    public async Task<Image> CreateImageAsync(ReadOnlyMemory<byte> configBytes, IReadOnlyList<Descriptor> layers, IEnumerable<ImageReference> names, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layers);
        using var lease = await AcquireLeaseAsync(cancellationToken).ConfigureAwait(false);
        var configDescriptor = await Blobs.WriteAsync(MediaTypes.OciConfig, configBytes, cancellationToken).ConfigureAwait(false);
        var manifest = new ImageManifest { SchemaVersion = 2, MediaType = MediaTypes.OciManifest, Config = configDescriptor, Layers = layers };
        return await StoreManifestAsync(OciJson.Serialize(manifest), names, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores a manifest or index byte for byte (its digest never changes) and points <paramref name="names"/> at it.
    /// A manifest's config and layers must already be stored; for an index at least one child manifest must be.
    /// </summary>
    public async Task<Image> StoreManifestAsync(ReadOnlyMemory<byte> manifestBytes, IEnumerable<ImageReference> names, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        var nameList = names.ToList();
        Normalize(nameList);
        var mediaType = OciJson.DetectMediaType(manifestBytes.Span);
        using var lease = await AcquireLeaseAsync(cancellationToken).ConfigureAwait(false);
        var target = new Descriptor { MediaType = mediaType, Digest = Digest.Compute(manifestBytes.Span), Size = manifestBytes.Length };
        await ValidateReferencedAsync(target, manifestBytes.ToArray(), cancellationToken).ConfigureAwait(false);
        await Blobs.WriteAsync(target, new MemoryStream(manifestBytes.ToArray(), writable: false), cancellationToken).ConfigureAwait(false);
        using (await LockIndexAsync(cancellationToken).ConfigureAwait(false))
        {
            var entries = ReadIndexEntries();
            foreach (var name in nameList)
            {
                CheckDigestName(name, target);
                SetName(entries, target, name);
            }

            if (!entries.Exists(e => e.Digest == target.Digest))
            {
                entries.Add(Bare(target));
            }

            WriteIndexEntries(entries);
        }

        return await LoadImageAsync(target, nameList, cancellationToken).ConfigureAwait(false);
    }

    private async Task ValidateReferencedAsync(Descriptor target, byte[] bytes, CancellationToken cancellationToken)
    {
        if (MediaTypes.IsIndex(target.MediaType))
        {
            var index = OciJson.ParseIndex(bytes, $"image index {target.Digest}");
            foreach (var child in index.Manifests)
            {
                if (await Blobs.ExistsAsync(child.Digest, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            throw new ContentNotFoundException($"image index {target.Digest}: none of its {index.Manifests.Count} manifests is in the store; store a platform manifest first");
        }

        var manifest = OciJson.ParseManifest(bytes, $"manifest {target.Digest}");
        foreach (var d in manifest.Layers.Prepend(manifest.Config))
        {
            if (MediaTypes.IsNondistributable(d.MediaType))
            {
                continue;
            }

            if (!await Blobs.ExistsAsync(d.Digest, cancellationToken).ConfigureAwait(false))
            {
                throw new ContentNotFoundException($"manifest {target.Digest} refers to blob {d.Digest} ({d.MediaType}) which is not in the store; write the blob first");
            }
        }
    }

    private static void CheckDigestName(ImageReference name, Descriptor target)
    {
        if (name.Digest is { } d && d != target.Digest)
        {
            throw new GantryException($"cannot name {target.Digest} as '{name.FamiliarString}': the digest in the name does not match the manifest");
        }
    }

    /// <summary>Points <paramref name="name"/> at an already stored manifest or index (docker tag).</summary>
    public async Task TagAsync(Descriptor target, ImageReference name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(name);
        var list = new List<ImageReference> { name };
        Normalize(list);
        CheckDigestName(list[0], target);
        if (!await Blobs.ExistsAsync(target.Digest, cancellationToken).ConfigureAwait(false))
        {
            throw new ContentNotFoundException($"cannot tag {target.Digest}: it is not in the store");
        }

        using (await LockIndexAsync(cancellationToken).ConfigureAwait(false))
        {
            var entries = ReadIndexEntries();
            SetName(entries, Bare(target), list[0]);
            WriteIndexEntries(entries);
        }
    }

    /// <summary>docker tag SOURCE TARGET: resolves SOURCE (name or ID) and points TARGET at the same image, atomically.</summary>
    public async Task<Image> TagAsync(string source, string target, CancellationToken cancellationToken = default)
    {
        var name = ImageReference.Parse(target);
        if (name.Digest is not null)
        {
            throw new InvalidReferenceException(target, "a tag target cannot contain a digest; use NAME[:TAG]");
        }

        name = name.WithDefaultTag();
        Descriptor resolved;
        using (await LockIndexAsync(cancellationToken).ConfigureAwait(false))
        {
            var entries = ReadIndexEntries();
            var image = await ResolveInAsync(entries, source, cancellationToken).ConfigureAwait(false)
                ?? throw NoSuchImage(source);
            resolved = image.Target;
            SetName(entries, resolved, name);
            WriteIndexEntries(entries);
        }

        return await ResolveAsync(name.ToString(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a name; the image stays (dangling if it was its last name). Returns false when the name was not there.</summary>
    public async Task<bool> UntagAsync(ImageReference name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var list = new List<ImageReference> { name };
        Normalize(list);
        var full = list[0].ToString();
        using (await LockIndexAsync(cancellationToken).ConfigureAwait(false))
        {
            var entries = ReadIndexEntries();
            var at = entries.FindIndex(e => EntryName(e)?.ToString() == full);
            if (at < 0)
            {
                return false;
            }

            var old = entries[at];
            entries.RemoveAt(at);
            if (!entries.Exists(e => e.Digest == old.Digest))
            {
                entries.Add(Bare(old));
            }

            WriteIndexEntries(entries);
            return true;
        }
    }

    internal static ContentNotFoundException NoSuchImage(string input) => new($"No such image: {input}");
}
