// Owns: opening the image store at a Gantry root (CONTENT = ROOT/content), its locks, and reading/writing index.json atomically.
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Content;

/// <summary>
/// The local image store: an OCI image layout at <c>ROOT/content</c> whose <c>index.json</c> holds one descriptor per image
/// name (annotated with <c>org.opencontainers.image.ref.name</c> and <c>io.containerd.image.name</c> = the full normalized
/// name) plus un-annotated descriptors for dangling images. index.json changes under an exclusive flock and is replaced
/// atomically; blobs go through <see cref="BlobStore"/>. Safe to use from many processes and threads at once.
/// </summary>
public sealed partial class ImageStore
{
    private ImageStore(string contentDirectory)
    {
        ContentDirectory = Path.GetFullPath(contentDirectory);
        Directory.CreateDirectory(ContentDirectory);
        Blobs = new BlobStore(ContentDirectory);
        Directory.CreateDirectory(GcRootsDirectory);
        var layout = Path.Combine(ContentDirectory, "oci-layout");
        if (!File.Exists(layout))
        {
            AtomicFile.WriteAllBytes(layout, OciJson.Serialize(new OciLayoutFile(), OciJsonContext.Default.OciLayoutFile));
        }
    }

    /// <summary>Opens (creating if needed) the store of a Gantry root: the OCI layout lives at <c>ROOT/content</c>.</summary>
    public static ImageStore Open(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        return new ImageStore(Path.Combine(root, "content"));
    }

    /// <summary>Opens (creating if needed) an OCI layout directory directly.</summary>
    public static ImageStore OpenLayout(string contentDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(contentDirectory);
        return new ImageStore(contentDirectory);
    }

    /// <summary>The OCI layout directory.</summary>
    public string ContentDirectory { get; }

    /// <summary>The blob store (implements <see cref="IBlobStore"/>).</summary>
    public BlobStore Blobs { get; }

    /// <summary>
    /// Files here (any name) list digests, one per line, that GC must keep along with everything they reference
    /// (e.g. build-cache layers). Write them with <see cref="AtomicFile"/>.
    /// </summary>
    public string GcRootsDirectory => Path.Combine(ContentDirectory, "gcroots");

    public string IndexPath => Path.Combine(ContentDirectory, "index.json");

    private string IndexLockPath => Path.Combine(ContentDirectory, "index.lock");

    /// <summary>
    /// Holds off GC (a shared lock) until disposed. Take one around any multi-step write — blobs first, then a manifest and
    /// names — so GC never removes blobs that are written but not yet named. Released by the kernel if the process dies.
    /// </summary>
    public Task<FileLock> AcquireLeaseAsync(CancellationToken cancellationToken = default) =>
        FileLock.AcquireAsync(Blobs.GcLockPath, exclusive: false, cancellationToken);

    private Task<FileLock> LockIndexAsync(CancellationToken cancellationToken) =>
        FileLock.AcquireAsync(IndexLockPath, exclusive: true, cancellationToken);

    /// <summary>Reads index.json's descriptors (empty when it does not exist yet).</summary>
    private List<Descriptor> ReadIndexEntries()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(IndexPath);
        }
        catch (FileNotFoundException)
        {
            return [];
        }

        var index = OciJson.ParseIndex(bytes, $"the image store index {IndexPath}");
        return [.. index.Manifests];
    }

    private void WriteIndexEntries(List<Descriptor> entries)
    {
        var index = new ImageIndex { SchemaVersion = 2, MediaType = MediaTypes.OciIndex, Manifests = entries };
        var bytes = OciJson.Serialize(index);

        // Re-tagging what a name already points at (every no-change rebuild) changes nothing: skip the write and its fsyncs.
        if (File.Exists(IndexPath) && new FileInfo(IndexPath).Length == bytes.Length && File.ReadAllBytes(IndexPath).AsSpan().SequenceEqual(bytes))
        {
            return;
        }

        AtomicFile.WriteAllBytes(IndexPath, bytes);
    }

    /// <summary>The name an index.json entry carries, or null for a dangling entry.</summary>
    internal static ImageReference? EntryName(Descriptor entry)
    {
        if (entry.Annotations is null)
        {
            return null;
        }

        if ((entry.Annotations.TryGetValue(Annotations.ContainerdImageName, out var name) || entry.Annotations.TryGetValue(Annotations.RefName, out name))
            && ImageReference.TryParse(name, out var reference))
        {
            return reference;
        }

        return null;
    }

    private static Descriptor NamedEntry(Descriptor target, ImageReference name) => new()
    {
        MediaType = target.MediaType,
        Digest = target.Digest,
        Size = target.Size,
        Platform = target.Platform,
        Annotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Annotations.RefName] = name.ToString(),
            [Annotations.ContainerdImageName] = name.ToString(),
        },
    };

    private static Descriptor Bare(Descriptor target) => new() { MediaType = target.MediaType, Digest = target.Digest, Size = target.Size, Platform = target.Platform };

    /// <summary>Sets <paramref name="name"/> → <paramref name="target"/> in the entry list; a target left without names stays as a dangling entry.</summary>
    private static void SetName(List<Descriptor> entries, Descriptor target, ImageReference name)
    {
        var full = name.ToString();
        var previous = entries.FindIndex(e => EntryName(e)?.ToString() == full);
        if (previous >= 0)
        {
            var old = entries[previous];
            entries.RemoveAt(previous);
            if (old.Digest != target.Digest && !entries.Exists(e => e.Digest == old.Digest))
            {
                entries.Add(Bare(old));
            }
        }

        entries.RemoveAll(e => e.Digest == target.Digest && EntryName(e) is null);
        entries.Add(NamedEntry(target, name));
    }

    private static void Normalize(List<ImageReference> names)
    {
        for (var i = 0; i < names.Count; i++)
        {
            names[i] = names[i].Digest is null ? names[i].WithDefaultTag() : names[i].WithoutTagOrDigest().WithDigest(names[i].Digest!.Value);
        }
    }
}
