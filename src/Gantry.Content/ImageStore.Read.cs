// Owns: resolving a name or image ID to an image (docker's rules), loading an image's manifest/config, and listing images.
using System.Text.RegularExpressions;
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Content;

public sealed partial class ImageStore
{
    /// <summary>
    /// Resolves what a user typed — a full or short image ID (<c>sha256:…</c> or a hex prefix), <c>name</c>, <c>name:tag</c>
    /// or <c>name@digest</c> — to an image. Throws <see cref="ContentNotFoundException"/> "No such image: …".
    /// </summary>
    public async Task<Image> ResolveAsync(string nameOrId, CancellationToken cancellationToken = default) =>
        await TryResolveAsync(nameOrId, cancellationToken).ConfigureAwait(false) ?? throw NoSuchImage(nameOrId);

    /// <summary>As <see cref="ResolveAsync"/>, null when nothing matches. Invalid names still throw.</summary>
    public Task<Image?> TryResolveAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrId);
        return ResolveInAsync(ReadIndexEntries(), nameOrId, cancellationToken);
    }

    /// <summary>The image a name points at (a name without tag means :latest), or null.</summary>
    public Task<Image?> FindByNameAsync(ImageReference name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return FindByNameInAsync(ReadIndexEntries(), name, cancellationToken);
    }

    /// <summary>Every image (named and dangling), newest first.</summary>
    public async Task<IReadOnlyList<Image>> ListAsync(CancellationToken cancellationToken = default)
    {
        var entries = ReadIndexEntries();
        var images = new List<Image>();
        foreach (var group in entries.GroupBy(e => e.Digest))
        {
            var image = await TryLoadGroupAsync(group.ToList(), cancellationToken).ConfigureAwait(false);
            if (image is not null)
            {
                images.Add(image);
            }
        }

        return [.. images.OrderByDescending(i => i.Created ?? DateTimeOffset.MinValue).ThenBy(i => i.Id)];
    }

    /// <summary>Loads an image from its top-level descriptor (manifest, or index → the manifest for this platform).</summary>
    public async Task<Image> LoadImageAsync(Descriptor target, IReadOnlyList<ImageReference> names, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(names);
        var targetBytes = await Blobs.ReadAllBytesAsync(target.Digest, cancellationToken).ConfigureAwait(false);
        var manifestDescriptor = target;
        var manifestBytes = targetBytes;
        var mediaType = MediaTypes.IsManifestOrIndex(target.MediaType) ? target.MediaType : OciJson.DetectMediaType(targetBytes, $"manifest {target.Digest}");
        if (MediaTypes.IsIndex(mediaType))
        {
            var index = OciJson.ParseIndex(targetBytes, $"image index {target.Digest}");
            Descriptor? chosen = null;
            foreach (var child in index.Manifests.Where(m => m.Platform is null || m.Platform.Matches(Platform.Current))
                         .Concat(index.Manifests))
            {
                if (MediaTypes.IsManifest(child.MediaType) && await Blobs.ExistsAsync(child.Digest, cancellationToken).ConfigureAwait(false))
                {
                    chosen = child;
                    break;
                }
            }

            manifestDescriptor = chosen ?? throw new ContentNotFoundException($"image index {target.Digest} has no platform manifest in the store");
            manifestBytes = await Blobs.ReadAllBytesAsync(manifestDescriptor.Digest, cancellationToken).ConfigureAwait(false);
        }

        var manifest = OciJson.ParseManifest(manifestBytes, $"manifest {manifestDescriptor.Digest}");
        var configBytes = await Blobs.ReadAllBytesAsync(manifest.Config.Digest, cancellationToken).ConfigureAwait(false);
        var config = OciJson.ParseConfig(configBytes, $"image config {manifest.Config.Digest}");
        return new Image
        {
            Id = manifest.Config.Digest,
            Target = Bare(target),
            ManifestDescriptor = Bare(manifestDescriptor),
            ManifestBytes = manifestBytes,
            Manifest = manifest,
            ConfigBytes = configBytes,
            Config = config,
            Names = [.. names.OrderBy(n => n.ToString(), StringComparer.Ordinal)],
        };
    }

    private async Task<Image?> TryLoadGroupAsync(List<Descriptor> group, CancellationToken cancellationToken)
    {
        var names = group.Select(EntryName).OfType<ImageReference>().ToList();
        try
        {
            return await LoadImageAsync(group[0], names, cancellationToken).ConfigureAwait(false);
        }
        catch (ContentNotFoundException)
        {
            return null;
        }
    }

    private Task<Image?> LoadDigestAsync(List<Descriptor> entries, Digest digest, CancellationToken cancellationToken) =>
        TryLoadGroupAsync([.. entries.Where(e => e.Digest == digest)], cancellationToken);

    private async Task<Image?> FindByNameInAsync(List<Descriptor> entries, ImageReference name, CancellationToken cancellationToken)
    {
        if (name.Digest is { } digest)
        {
            var match = entries.FirstOrDefault(e => e.Digest == digest && EntryName(e) is { } n && n.Name == name.Name);
            return match is null ? null : await LoadDigestAsync(entries, digest, cancellationToken).ConfigureAwait(false);
        }

        var full = name.WithDefaultTag().ToString();
        var entry = entries.FirstOrDefault(e => EntryName(e)?.ToString() == full);
        return entry is null ? null : await LoadDigestAsync(entries, entry.Digest, cancellationToken).ConfigureAwait(false);
    }

    internal async Task<Image?> ResolveInAsync(List<Descriptor> entries, string input, CancellationToken cancellationToken)
    {
        // 1. A full ID: sha256:HEX or 64 hex characters.
        var full = input.StartsWith("sha256:", StringComparison.Ordinal) ? input : (FullHex().IsMatch(input) ? "sha256:" + input : null);
        if (full is not null && Digest.TryParse(full, out var id))
        {
            return await FindByIdPrefixAsync(entries, id.ToString(), input, cancellationToken).ConfigureAwait(false);
        }

        if (input.StartsWith("sha256:", StringComparison.Ordinal))
        {
            var prefix = input["sha256:".Length..];
            return HexPrefix().IsMatch(prefix) ? await FindByIdPrefixAsync(entries, input, input, cancellationToken).ConfigureAwait(false) : null;
        }

        // 2. A name.
        if (ImageReference.TryParse(input, out var reference, out var error))
        {
            var byName = await FindByNameInAsync(entries, reference, cancellationToken).ConfigureAwait(false);
            if (byName is not null)
            {
                return byName;
            }
        }

        // 3. A short ID prefix.
        if (HexPrefix().IsMatch(input))
        {
            return await FindByIdPrefixAsync(entries, "sha256:" + input, input, cancellationToken).ConfigureAwait(false);
        }

        if (reference is null)
        {
            throw new InvalidReferenceException(input, error);
        }

        return null;
    }

    private async Task<Image?> FindByIdPrefixAsync(List<Descriptor> entries, string prefix, string input, CancellationToken cancellationToken)
    {
        var matches = new Dictionary<Digest, Image>();
        foreach (var group in entries.GroupBy(e => e.Digest))
        {
            var image = await TryLoadGroupAsync(group.ToList(), cancellationToken).ConfigureAwait(false);
            if (image is null)
            {
                continue;
            }

            if (image.Id.ToString().StartsWith(prefix, StringComparison.Ordinal) || image.Target.Digest.ToString() == prefix)
            {
                matches.TryAdd(image.Target.Digest, image);
            }
        }

        var distinctIds = matches.Values.Select(i => i.Id).Distinct().Count();
        if (distinctIds > 1)
        {
            throw new GantryException($"image ID prefix '{input}' is ambiguous: it matches {distinctIds} images; give more characters of the ID");
        }

        // Several targets with one config (e.g. the same image as OCI and Docker manifest): prefer a named one.
        return matches.Values.OrderByDescending(i => i.Names.Count).FirstOrDefault();
    }

    [GeneratedRegex("^[a-f0-9]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex FullHex();

    [GeneratedRegex("^[a-f0-9]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex HexPrefix();
}
