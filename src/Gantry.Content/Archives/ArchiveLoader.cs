// Owns: `docker load`: reading a docker-archive or oci-archive tar (plain or gzip, file or stdin) into the store, all or nothing.
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Gantry.Oci;
using Gantry.Oci.IO;
using Gantry.Reference;

namespace Gantry.Content.Archives;

/// <summary>
/// Loads images from a tar made by docker save, podman save, skopeo (docker-archive: or oci-archive:) or gantry save.
/// The archive is unpacked to a scratch folder (safe paths only), fully parsed and checked, then its blobs are stored
/// (each verified against its digest) and only then are names set. On any error the new blobs are removed again.
/// </summary>
public static class ArchiveLoader
{
    /// <summary>What was loaded: the images, and the names docker prints ("Loaded image: …" / "Loaded image ID: …").</summary>
    public sealed record Result(IReadOnlyList<Image> Images, IReadOnlyList<string> Messages);

    public static async Task<Result> LoadAsync(ImageStore store, Stream input, string source, string scratchDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(input);
        var what = source == "-" ? "the archive on stdin" : $"'{source}'";
        var dir = Path.Combine(scratchDirectory, $"load-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            await ExtractAsync(input, dir, what, cancellationToken).ConfigureAwait(false);
            var plan = File.Exists(Path.Combine(dir, "index.json")) ? PlanOci(dir, what) : PlanDocker(dir, what);
            return await ApplyAsync(store, dir, plan, what, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task ExtractAsync(Stream input, string dir, string what, CancellationToken cancellationToken)
    {
        var buffered = new BufferedStream(input, 1 << 16);
        var head = new byte[2];
        var got = 0;
        while (got < 2)
        {
            var n = await buffered.ReadAsync(head.AsMemory(got), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            got += n;
        }

        if (got == 0)
        {
            throw new GantryException($"{what} is empty: expected a tar archive made by docker save, podman save or skopeo");
        }

        Stream tarStream = new PrefixedStream(head.AsMemory(0, got), buffered);
        if (got == 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            tarStream = new GZipStream(tarStream, CompressionMode.Decompress);
        }

        var links = new List<(string Path, string Target)>();
        try
        {
            await using var reader = new TarReader(tarStream, leaveOpen: false);
            var entries = 0;
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                entries++;
                var relative = SafeRelative(entry.Name, what);
                if (relative is null)
                {
                    continue;
                }

                var path = Path.Combine(dir, relative);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(path);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
                        long written;
                        await using (file.ConfigureAwait(false))
                        {
                            if (entry.DataStream is not null)
                            {
                                await entry.DataStream.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                            }

                            written = file.Length;
                        }

                        if (written != entry.Length)
                        {
                            throw new GantryException($"{what} is truncated (entry '{entry.Name}' is cut short): copy the complete archive and try again");
                        }

                        break;
                    case TarEntryType.SymbolicLink or TarEntryType.HardLink:
                        links.Add((relative, entry.EntryType == TarEntryType.HardLink ? SafeRelative(entry.LinkName, what) ?? string.Empty : Path.Combine(Path.GetDirectoryName(relative) ?? string.Empty, entry.LinkName)));
                        break;
                    default:
                        break;
                }
            }

            if (entries == 0)
            {
                throw new GantryException($"{what} is not a tar archive (no entries): expected an archive made by docker save, podman save or skopeo");
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or ArgumentException)
        {
            throw new GantryException($"{what} is truncated or not a valid tar archive ({ex.Message}): check it was made by docker save, podman save or skopeo and copied completely", ex);
        }

        foreach (var (path, target) in links)
        {
            var normalized = Path.GetFullPath(Path.Combine(dir, target));
            if (!normalized.StartsWith(dir + "/", StringComparison.Ordinal) || !File.Exists(normalized))
            {
                continue; // links outside the archive or to nothing are ignored
            }

            File.Copy(normalized, Path.Combine(dir, path), overwrite: true);
        }
    }

    private static string? SafeRelative(string name, string what)
    {
        var trimmed = name.Replace('\\', '/');
        while (trimmed.StartsWith("./", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        trimmed = trimmed.TrimEnd('/');
        if (trimmed.Length == 0 || trimmed == ".")
        {
            return null;
        }

        if (trimmed.StartsWith('/') || trimmed.Split('/').Any(p => p == ".."))
        {
            throw new GantryException($"{what} contains the path '{name}' which escapes the archive; refusing to load it");
        }

        return trimmed;
    }

    /// <summary>One image to store: the manifest bytes, the blob files it needs, and its names.</summary>
    private sealed record PlannedImage(byte[] ManifestBytes, List<(Descriptor Descriptor, string File, Digest? DiffId)> Blobs, List<ImageReference> Names, List<(byte[] Bytes, string Path)> ExtraManifests);

    private static byte[] ReadArchiveFile(string dir, string relative, string what)
    {
        var safe = SafeRelative(relative, what) ?? throw new GantryException($"{what} names an empty path");
        var path = Path.Combine(dir, safe);
        if (!File.Exists(path))
        {
            throw new GantryException($"{what} is incomplete: '{relative}' is missing from the archive");
        }

        return File.ReadAllBytes(path);
    }

    private static List<PlannedImage> PlanOci(string dir, string what)
    {
        var index = OciJson.ParseIndex(ReadArchiveFile(dir, "index.json", what), $"index.json in {what}");
        var tagsByConfig = new Dictionary<Digest, List<ImageReference>>();
        if (File.Exists(Path.Combine(dir, "manifest.json")))
        {
            foreach (var entry in ParseDockerManifest(dir, what))
            {
                if (Digest.TryParse(entry.Config.Replace("blobs/", string.Empty, StringComparison.Ordinal).Replace('/', ':'), out var configDigest))
                {
                    tagsByConfig[configDigest] = [.. (entry.RepoTags ?? []).Select(t => ImageReference.Parse(t).WithDefaultTag())];
                }
            }
        }

        var plans = new List<PlannedImage>();
        foreach (var descriptor in index.Manifests)
        {
            var bytes = ReadBlob(dir, descriptor, what);
            var names = new List<ImageReference>();
            if (descriptor.Annotations is { } ann)
            {
                if (ann.TryGetValue(Annotations.ContainerdImageName, out var full) && ImageReference.TryParse(full, out var r1))
                {
                    names.Add(r1);
                }
                else if (ann.TryGetValue(Annotations.RefName, out var refName) && (refName.Contains('/', StringComparison.Ordinal) || refName.Contains(':', StringComparison.Ordinal))
                         && ImageReference.TryParse(refName, out var r2))
                {
                    names.Add(r2);
                }
            }

            var blobs = new List<(Descriptor, string, Digest?)>();
            var extra = new List<(byte[], string)>();
            var manifestBytes = bytes;
            var media = MediaTypes.IsManifestOrIndex(descriptor.MediaType) ? descriptor.MediaType : OciJson.DetectMediaType(bytes, $"manifest {descriptor.Digest} in {what}");
            if (MediaTypes.IsIndex(media))
            {
                var child = OciJson.ParseIndex(bytes, $"image index {descriptor.Digest} in {what}");
                foreach (var m in child.Manifests)
                {
                    if (!File.Exists(BlobFile(dir, m.Digest)))
                    {
                        continue; // other platforms not included in the archive
                    }

                    var childBytes = ReadBlob(dir, m, what);
                    extra.Add((childBytes, BlobFile(dir, m.Digest)));
                    AddManifestBlobs(dir, childBytes, m.Digest, blobs, what);
                }

                if (extra.Count == 0)
                {
                    throw new GantryException($"{what} is incomplete: image index {descriptor.Digest} has none of its manifests in the archive");
                }
            }
            else
            {
                var manifest = AddManifestBlobs(dir, bytes, descriptor.Digest, blobs, what);
                if (tagsByConfig.TryGetValue(manifest.Config.Digest, out var tags))
                {
                    names.AddRange(tags.Where(t => !names.Any(n => n.ToString() == t.ToString())));
                }
            }

            plans.Add(new PlannedImage(manifestBytes, blobs, names, extra));
        }

        return plans;
    }

    private static ImageManifest AddManifestBlobs(string dir, byte[] bytes, Digest digest, List<(Descriptor, string, Digest?)> blobs, string what)
    {
        var manifest = OciJson.ParseManifest(bytes, $"manifest {digest} in {what}");
        foreach (var d in manifest.Layers.Prepend(manifest.Config))
        {
            var file = BlobFile(dir, d.Digest);
            if (!File.Exists(file))
            {
                if (MediaTypes.IsNondistributable(d.MediaType))
                {
                    continue;
                }

                throw new GantryException($"{what} is incomplete: blob {d.Digest} of manifest {digest} is missing from the archive");
            }

            blobs.Add((d, file, null));
        }

        return manifest;
    }

    private static string BlobFile(string dir, Digest digest) => Path.Combine(dir, "blobs", digest.Algorithm, digest.Encoded);

    private static byte[] ReadBlob(string dir, Descriptor descriptor, string what)
    {
        var path = BlobFile(dir, descriptor.Digest);
        if (!File.Exists(path))
        {
            throw new GantryException($"{what} is incomplete: blob {descriptor.Digest} is missing from the archive");
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != descriptor.Size || Digest.Compute(descriptor.Digest.Algorithm, bytes) != descriptor.Digest)
        {
            throw new DigestMismatchException($"{what}: blob {descriptor.Digest} does not match its digest (the archive is corrupt)");
        }

        return bytes;
    }

    private static List<DockerArchiveEntry> ParseDockerManifest(string dir, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(ReadArchiveFile(dir, "manifest.json", what), ArchiveJsonContext.Default.ListDockerArchiveEntry)
                ?? throw new GantryException($"manifest.json in {what} is empty");
        }
        catch (JsonException ex)
        {
            throw new GantryException($"manifest.json in {what} is not valid JSON: {ex.Message}", ex);
        }
    }

    private static List<PlannedImage> PlanDocker(string dir, string what)
    {
        if (!File.Exists(Path.Combine(dir, "manifest.json")))
        {
            throw new GantryException($"{what} is neither a docker-archive (no manifest.json) nor an oci-archive (no index.json)");
        }

        var plans = new List<PlannedImage>();
        foreach (var entry in ParseDockerManifest(dir, what))
        {
            var configBytes = ReadArchiveFile(dir, entry.Config, what);
            var config = OciJson.ParseConfig(configBytes, $"image config '{entry.Config}' in {what}");
            if (config.RootFs.DiffIds.Count != entry.Layers.Count)
            {
                throw new GantryException($"{what} is corrupt: config '{entry.Config}' lists {config.RootFs.DiffIds.Count} layers but manifest.json lists {entry.Layers.Count}");
            }

            var configDescriptor = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Compute(configBytes), Size = configBytes.Length };
            var blobs = new List<(Descriptor, string, Digest?)> { (configDescriptor, Path.Combine(dir, SafeRelative(entry.Config, what)!), null) };
            var layers = new List<Descriptor>();
            for (var i = 0; i < entry.Layers.Count; i++)
            {
                var file = Path.Combine(dir, SafeRelative(entry.Layers[i], what) ?? string.Empty);
                if (!File.Exists(file))
                {
                    throw new GantryException($"{what} is incomplete: layer '{entry.Layers[i]}' is missing from the archive");
                }

                var compression = Sniff(file);
                var diffId = config.RootFs.DiffIds[i];
                Descriptor layer;
                if (compression == Compression.None)
                {
                    layer = new Descriptor { MediaType = MediaTypes.OciLayer, Digest = diffId, Size = new FileInfo(file).Length };
                }
                else
                {
                    using var fs = File.OpenRead(file);
                    layer = new Descriptor { MediaType = compression == Compression.Gzip ? MediaTypes.OciLayerGzip : MediaTypes.OciLayerZstd, Digest = Digest.ComputeAsync(fs).GetAwaiter().GetResult(), Size = fs.Length };
                }

                layers.Add(layer);
                blobs.Add((layer, file, compression == Compression.Gzip ? diffId : null));
            }

            var manifest = new ImageManifest { SchemaVersion = 2, MediaType = MediaTypes.OciManifest, Config = configDescriptor, Layers = layers };
            var names = (entry.RepoTags ?? []).Select(t => ImageReference.Parse(t).WithDefaultTag()).ToList();
            plans.Add(new PlannedImage(OciJson.Serialize(manifest), blobs, names, []));
        }

        return plans;
    }

    private static Compression Sniff(string file)
    {
        Span<byte> head = stackalloc byte[4];
        using var fs = File.OpenRead(file);
        var n = fs.Read(head);
        if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            return Compression.Gzip;
        }

        return n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd ? Compression.Zstd : Compression.None;
    }

    private static async Task<Result> ApplyAsync(ImageStore store, string dir, List<PlannedImage> plans, string what, CancellationToken cancellationToken)
    {
        var created = new HashSet<Digest>();
        var images = new List<Image>();
        var messages = new List<string>();
        try
        {
            using (await store.AcquireLeaseAsync(cancellationToken).ConfigureAwait(false))
            {
                // 1. Every blob, verified; nothing is named yet.
                foreach (var plan in plans)
                {
                    foreach (var (descriptor, file, diffId) in plan.Blobs)
                    {
                        if (await store.Blobs.ExistsAsync(descriptor.Digest, cancellationToken).ConfigureAwait(false))
                        {
                            continue;
                        }

                        (Digest DiffId, long Size)? measured = null;
                        if (diffId is { } expectedDiff)
                        {
                            measured = (expectedDiff, await VerifyDiffIdAsync(file, expectedDiff, what, cancellationToken).ConfigureAwait(false));
                        }

                        var stream = File.OpenRead(file);
                        await using (stream.ConfigureAwait(false))
                        {
                            try
                            {
                                await store.Blobs.WriteAsync(descriptor, stream, cancellationToken).ConfigureAwait(false);
                            }
                            catch (DigestMismatchException ex)
                            {
                                throw new DigestMismatchException($"{what}: {ex.Message} (the archive is corrupt)");
                            }
                        }

                        created.Add(descriptor.Digest);
                        if (measured is null && MediaTypes.IsLayer(descriptor.MediaType))
                        {
                            // After the digest check, so a corrupt blob is reported as a digest mismatch.
                            var layerFile = File.OpenRead(file);
                            await using (layerFile.ConfigureAwait(false))
                            {
                                measured = await ImageStore.MeasureLayerAsync(layerFile, $"{what}: layer {descriptor.Digest}", cancellationToken).ConfigureAwait(false);
                            }
                        }

                        if (measured is { } m)
                        {
                            await store.RecordLayerInfoAsync(descriptor.Digest, m.DiffId, m.Size, cancellationToken).ConfigureAwait(false);
                        }
                    }

                    foreach (var (bytes, _) in plan.ExtraManifests)
                    {
                        var d = await store.Blobs.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                        created.Add(d);
                    }
                }

                // 2. Manifests and names.
                foreach (var plan in plans)
                {
                    var image = await store.StoreManifestAsync(plan.ManifestBytes, plan.Names, cancellationToken).ConfigureAwait(false);
                    images.Add(image);
                    if (plan.Names.Count == 0)
                    {
                        messages.Add($"Loaded image ID: {image.Id}");
                    }

                    foreach (var name in plan.Names)
                    {
                        messages.Add($"Loaded image: {name.FamiliarString}");
                    }
                }
            }
        }
        catch
        {
            if (images.Count == 0 && created.Count > 0)
            {
                await store.CollectGarbageAsync(created, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }

        return new Result(images, messages);
    }

    /// <summary>Checks a gzip layer file decompresses to <paramref name="expected"/>; returns the uncompressed size.</summary>
    private static async Task<long> VerifyDiffIdAsync(string file, Digest expected, string what, CancellationToken cancellationToken)
    {
        var fs = File.OpenRead(file);
        await using (fs.ConfigureAwait(false))
        {
            try
            {
                var (actual, size) = await ImageStore.MeasureLayerAsync(fs, $"{what}: layer '{Path.GetFileName(file)}'", cancellationToken).ConfigureAwait(false);
                if (actual != expected)
                {
                    throw new DigestMismatchException($"{what}: layer '{Path.GetFileName(file)}' has diff ID {actual}, but the image config expects {expected} (the archive is corrupt)");
                }

                return size;
            }
            catch (InvalidDataException ex)
            {
                throw new GantryException($"{what}: layer '{Path.GetFileName(file)}' is not valid gzip ({ex.Message}); the archive is corrupt", ex);
            }
        }
    }
}
