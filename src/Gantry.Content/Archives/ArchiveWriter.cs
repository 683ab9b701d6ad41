// Owns: `docker save`: writing images as one tar that is both a docker-archive (manifest.json, repositories) and an OCI layout.
using System.Formats.Tar;
using System.Text.Json;
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Content.Archives;

/// <summary>
/// Writes images the way docker 25+ does: <c>oci-layout</c>, <c>index.json</c> (names in <c>io.containerd.image.name</c>,
/// tags in <c>org.opencontainers.image.ref.name</c>), <c>blobs/sha256/…</c>, plus docker's <c>manifest.json</c> and
/// <c>repositories</c> pointing at the same blob files. Loadable by docker load, podman load, skopeo docker-archive: and oci-archive:.
/// </summary>
public static class ArchiveWriter
{
    /// <summary>One image to save and the names (full, tagged) to record for it.</summary>
    public sealed record Item(Image Image, IReadOnlyList<ImageReference> Names);

    public static async Task WriteAsync(ImageStore store, IReadOnlyList<Item> items, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(items);
        var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        await using (tar.ConfigureAwait(false))
        {
            var written = new HashSet<Digest>();
            await AddDirectoryAsync(tar, "blobs/", cancellationToken).ConfigureAwait(false);
            await AddDirectoryAsync(tar, "blobs/sha256/", cancellationToken).ConfigureAwait(false);
            var indexEntries = new List<Descriptor>();
            var dockerEntries = new List<DockerArchiveEntry>();
            var repositories = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                var image = item.Image;
                var blobs = image.Layers.Append(image.ConfigDescriptor).Append(image.ManifestDescriptor);
                foreach (var blob in blobs)
                {
                    if (written.Add(blob.Digest))
                    {
                        await AddBlobAsync(store, tar, blob.Digest, cancellationToken).ConfigureAwait(false);
                    }
                }

                var manifest = image.ManifestDescriptor with { Annotations = null, Platform = new Platform { Os = image.Config.Os, Architecture = image.Config.Architecture, Variant = image.Config.Variant } };
                if (item.Names.Count == 0)
                {
                    indexEntries.Add(manifest);
                }

                foreach (var name in item.Names)
                {
                    indexEntries.Add(manifest with
                    {
                        Annotations = new Dictionary<string, string>(StringComparer.Ordinal)
                        {
                            [Annotations.ContainerdImageName] = name.ToString(),
                            [Annotations.RefName] = name.Tag ?? name.Digest?.ToString() ?? ImageReference.DefaultTag,
                        },
                    });
                    if (name.Tag is not null && image.Layers.Count > 0)
                    {
                        var repo = name.FamiliarName;
                        if (!repositories.TryGetValue(repo, out var tags))
                        {
                            repositories[repo] = tags = new Dictionary<string, string>(StringComparer.Ordinal);
                        }

                        tags[name.Tag] = ImageStore.ChainIds(image.Config.RootFs.DiffIds).LastOrDefault().Encoded ?? image.Id.Encoded;
                    }
                }

                dockerEntries.Add(new DockerArchiveEntry
                {
                    Config = BlobName(image.ConfigDescriptor.Digest),
                    RepoTags = [.. item.Names.Where(n => n.Tag is not null).Select(n => n.FamiliarName + ":" + n.Tag)],
                    Layers = [.. image.Layers.Select(l => BlobName(l.Digest))],
                });
            }

            var index = new ImageIndex { SchemaVersion = 2, MediaType = MediaTypes.OciIndex, Manifests = indexEntries };
            await AddFileAsync(tar, "index.json", OciJson.Serialize(index), cancellationToken).ConfigureAwait(false);
            await AddFileAsync(tar, "manifest.json", JsonSerializer.SerializeToUtf8Bytes(dockerEntries, ArchiveJsonContext.Default.ListDockerArchiveEntry), cancellationToken).ConfigureAwait(false);
            await AddFileAsync(tar, "oci-layout", OciJson.Serialize(new OciLayoutFile(), OciJsonContext.Default.OciLayoutFile), cancellationToken).ConfigureAwait(false);
            if (repositories.Count > 0)
            {
                await AddFileAsync(tar, "repositories", JsonSerializer.SerializeToUtf8Bytes(repositories, ArchiveJsonContext.Default.DictionaryStringDictionaryStringString), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static string BlobName(Digest digest) => $"blobs/{digest.Algorithm}/{digest.Encoded}";

    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(0);

    private static Task AddDirectoryAsync(TarWriter tar, string name, CancellationToken cancellationToken) =>
        tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101, ModificationTime = Epoch }, cancellationToken);

    private static async Task AddFileAsync(TarWriter tar, string name, byte[] content, CancellationToken cancellationToken)
    {
        using var data = new MemoryStream(content, writable: false);
        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)0b110_100_100, ModificationTime = Epoch, DataStream = data }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task AddBlobAsync(ImageStore store, TarWriter tar, Digest digest, CancellationToken cancellationToken)
    {
        var size = await store.Blobs.GetSizeAsync(digest, cancellationToken).ConfigureAwait(false)
            ?? throw new ContentNotFoundException($"blob {digest} is missing from the store; pull or load the image again");
        var stream = await store.Blobs.OpenReadAsync(digest, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            if (stream.Length != size)
            {
                throw new DigestMismatchException($"stored blob {digest} changed size while saving");
            }

            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, BlobName(digest)) { Mode = (UnixFileMode)0b100_100_100, ModificationTime = Epoch, DataStream = stream }, cancellationToken).ConfigureAwait(false);
        }
    }
}
