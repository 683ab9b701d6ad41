// Owns: the snapshot store under $ROOT/snapshots: layers unpacked once by diffID, active snapshots, commit, remove, GC.
using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Gantry.Oci;
using Gantry.Snapshots.Native;

namespace Gantry.Snapshots;

/// <summary>
/// Layout under <c>$ROOT/snapshots</c>: <c>layers/&lt;diffID hex&gt;/fs</c> (each layer unpacked once, in overlay-lower form,
/// made in <c>tmp/</c> and renamed into place — the first rename wins, so concurrent processes are safe),
/// <c>active/&lt;key&gt;/</c> (a prepared snapshot: <c>upper/</c>+<c>work/</c> for overlay, or <c>rootfs/</c> for the copy-based
/// fallback, plus the list of its layers), <c>tmp/</c>. Prepare returns a <see cref="MountSpec"/>; it never mounts.
/// Overlay support is detected once per store by a trial mount; without it every snapshot is a flattened copy.
/// <para>
/// Layer directories are not fsynced: they can always be made again from their blobs, which the content store keeps
/// durable. Instead each one written without a sync carries <c>layers/&lt;hex&gt;/boot</c>, the kernel's boot id at the
/// time. Only a crash of the machine can lose written-but-unsynced data, and a crash means a new boot, so a layer whose
/// mark names another boot is set aside and unpacked again from its blob on first use (a clean reboot costs that one
/// unpack too). A layer without the mark was synced when it was made (by older gantry versions, or where the boot id
/// cannot be read).
/// </para>
/// </summary>
public sealed partial class SnapshotStore
{
    private static readonly ConcurrentDictionary<string, Lazy<(bool Overlay, string[] Extra)>> Detected = new(StringComparer.Ordinal);

    /// <summary>This boot's id (/proc/sys/kernel/random/boot_id), or null when unreadable (then layers are synced instead).</summary>
    internal static readonly string? BootId = ReadBootId();
    private readonly IBlobReader _blobs;
    private readonly SnapshotStoreOptions _options;
    private readonly ConcurrentDictionary<Digest, Lazy<Task<string>>> _unpacking = new();
    private readonly ConcurrentDictionary<Digest, long> _measured = new();
    private readonly string _layers;
    private readonly string _active;
    private readonly string _tmp;

    /// <param name="storeRoot">The gantry store root ($GANTRY_ROOT); snapshots live in its <c>snapshots/</c> folder.</param>
    /// <param name="blobs">Where layer blobs are read from (the content store).</param>
    public SnapshotStore(string storeRoot, IBlobReader blobs, SnapshotStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(storeRoot);
        ArgumentNullException.ThrowIfNull(blobs);
        _blobs = blobs;
        _options = options ?? new SnapshotStoreOptions();
        Root = Path.Combine(Path.GetFullPath(storeRoot), "snapshots");
        _layers = Path.Combine(Root, "layers");
        _active = Path.Combine(Root, "active");
        _tmp = Path.Combine(Root, "tmp");
        Directory.CreateDirectory(_layers);
        Directory.CreateDirectory(_active);
        Directory.CreateDirectory(_tmp);
    }

    /// <summary>$ROOT/snapshots.</summary>
    public string Root { get; }

    /// <summary>True when snapshots are overlayfs mounts; false for the copy-based fallback.</summary>
    public bool UsesOverlay => !_options.ForceCopy && Detect().Overlay;

    /// <summary>The OCI chain ID of a stack of diffIDs (bottom first): chain(L0)=diff(L0), chain(Ln)=sha256(chain(Ln-1)+" "+diff(Ln)).</summary>
    public static Digest ChainId(IEnumerable<Digest> diffIds)
    {
        ArgumentNullException.ThrowIfNull(diffIds);
        Digest? chain = null;
        foreach (var d in diffIds)
        {
            chain = chain is null ? d : Digest.Compute(System.Text.Encoding.ASCII.GetBytes(chain.Value + " " + d));
        }

        return chain ?? throw new ArgumentException("a chain ID needs at least one diffID", nameof(diffIds));
    }

    /// <summary>Unpacks a layer into <c>layers/&lt;diffID&gt;/fs</c> unless it is there already; returns that directory.</summary>
    public Task<string> EnsureLayerAsync(SnapshotLayer layer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var fs = LayerFs(layer.DiffId);
        if (HasLayer(layer.DiffId))
        {
            return Task.FromResult(fs);
        }

        var lazy = _unpacking.GetOrAdd(layer.DiffId, _ => new Lazy<Task<string>>(() => UnpackLayerAsync(layer, cancellationToken)));
        return AwaitAndForget(layer.DiffId, lazy.Value);
    }

    /// <summary>
    /// Unpacks every layer of <paramref name="layers"/> that is not unpacked yet (at most <see cref="SnapshotStoreOptions.MaxParallelUnpacks"/>
    /// at a time), as docker and podman do at pull, so the first <c>run</c> or build step over them mounts at once. Each is checked
    /// against its diffID. Returns the uncompressed (tar) size of the layers this call unpacked, by blob digest. Does nothing
    /// where snapshots are copies (no overlayfs): those are made from the blobs per container. Hold <see cref="HoldAsync"/>
    /// until the layers are referenced by a stored image, or a concurrent prune may remove them.
    /// </summary>
    public async Task<IReadOnlyDictionary<Digest, long>> UnpackLayersAsync(IReadOnlyList<SnapshotLayer> layers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var sizes = new Dictionary<Digest, long>();
        if (!UsesOverlay)
        {
            return sizes;
        }

        var missing = layers.DistinctBy(l => l.DiffId).Where(l => !HasLayer(l.DiffId)).ToList();
        await EnsureLayersAsync(missing, cancellationToken).ConfigureAwait(false);
        foreach (var l in missing)
        {
            if (_measured.TryGetValue(l.DiffId, out var size))
            {
                sizes[l.Blob.Digest] = size;
            }
        }

        return sizes;
    }

    /// <summary>
    /// Unpacks a layer from a stream of its compressed bytes, such as a pull's download as it arrives (the pull's layer tap),
    /// checked against its diffID like any unpack, unless it is unpacked already or another unpack of it is under way. The
    /// stream need not be verified against the blob digest: the diffID check is what makes the directory trustworthy.
    /// Returns the layer's uncompressed size when this call unpacked it, else null. Hold <see cref="HoldAsync"/> as for
    /// <see cref="UnpackLayersAsync"/>.
    /// </summary>
    public async Task<long?> UnpackFromStreamAsync(SnapshotLayer layer, Stream compressed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(compressed);
        if (!UsesOverlay || HasLayer(layer.DiffId))
        {
            return null;
        }

        var mine = new Lazy<Task<string>>(() => UnpackStreamAsync(layer, compressed, cancellationToken));
        var lazy = _unpacking.GetOrAdd(layer.DiffId, mine);
        if (!ReferenceEquals(lazy, mine))
        {
            return null;
        }

        await AwaitAndForget(layer.DiffId, lazy.Value).ConfigureAwait(false);
        return _measured.TryGetValue(layer.DiffId, out var size) ? size : null;
    }

    /// <summary>Unpacks the layers not unpacked yet, at most <see cref="SnapshotStoreOptions.MaxParallelUnpacks"/> at a time.</summary>
    private async Task EnsureLayersAsync(IEnumerable<SnapshotLayer> layers, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(_options.MaxParallelUnpacks);
        await Task.WhenAll(layers.Select(async l =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await EnsureLayerAsync(l, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
    }

    /// <summary>Where the layer with this diffID is (or would be) unpacked: <c>layers/&lt;hex&gt;/fs</c>, an overlay lower dir.</summary>
    public string LayerPath(Digest diffId) => LayerFs(diffId);

    /// <summary>A new empty directory under <c>snapshots/tmp</c> (same filesystem as the layers) to build a layer dir in, for
    /// <see cref="AdoptLayer"/>.</summary>
    public string CreateStagingDirectory()
    {
        var dir = Path.Combine(_tmp, "stage-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Takes <paramref name="dir"/> (moved, never copied) as the unpacked form of the layer <paramref name="diffId"/>, e.g. the
    /// upper dir of a finished RUN or a COPY layer unpacked while it was written, so no later step or <c>run</c> unpacks that
    /// layer again. The caller vouches that the directory holds exactly that layer in overlay-lower form.
    /// <paramref name="stripOverlayXattrs"/> drops overlayfs' own bookkeeping (trusted.overlay.origin/impure, kept: opaque)
    /// from a former upper dir. When the layer is already present, or the move is impossible (another filesystem),
    /// <paramref name="dir"/> is removed instead. Returns the layer's directory when it is present afterwards, else null.
    /// </summary>
    public string? AdoptLayer(Digest diffId, string dir, bool stripOverlayXattrs)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        if (HasLayer(diffId))
        {
            FileSystem.RemoveAll(dir);
            return LayerFs(diffId);
        }

        if (stripOverlayXattrs)
        {
            StripOverlayXattrs(dir);
        }

        var staging = Path.Combine(_tmp, "adopt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        try
        {
            if (Libc.Rename(dir, Path.Combine(staging, "fs")) != 0)
            {
                FileSystem.RemoveAll(dir);
                return HasLayer(diffId) ? LayerFs(diffId) : null;
            }

            File.WriteAllText(Path.Combine(staging, "diffid"), diffId + "\n");
            MarkUnsynced(staging);
            Publish(staging, LayerDir(diffId));
            return LayerFs(diffId);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                FileSystem.RemoveAll(staging);
            }
        }
    }

    /// <summary>
    /// True when the layer with this diffID is unpacked in the store. A layer written without a sync in an earlier boot (see
    /// the class remarks) is set aside here, and this returns false, so it is unpacked again from its blob.
    /// </summary>
    public bool HasLayer(Digest diffId)
    {
        if (!Directory.Exists(LayerFs(diffId)))
        {
            return false;
        }

        string mark;
        try
        {
            mark = File.ReadAllText(Path.Combine(LayerDir(diffId), BootFile)).Trim();
        }
        catch (FileNotFoundException)
        {
            return true; // synced when it was made
        }
        catch (DirectoryNotFoundException)
        {
            return false; // set aside by another process just now
        }

        if (mark == BootId)
        {
            return true;
        }

        // Unsynced, from a boot that ended (perhaps in a crash): its files may be incomplete. Moved aside in one rename, so a
        // concurrent reader sees the layer either whole or absent, then removed.
        var aside = Path.Combine(_tmp, "stale-" + Guid.NewGuid().ToString("N"));
        if (Libc.Rename(LayerDir(diffId), aside) == 0)
        {
            FileSystem.RemoveAll(aside);
        }

        return false;
    }

    /// <summary>Marks a staging layer dir as written without a sync in this boot (when the boot id is known).</summary>
    private static void MarkUnsynced(string staging)
    {
        if (BootId is not null)
        {
            File.WriteAllText(Path.Combine(staging, BootFile), BootId + "\n");
        }
    }

    private static string? ReadBootId()
    {
        try
        {
            var id = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            return id.Length > 0 ? id : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Prepares a writable snapshot named <paramref name="key"/> over <paramref name="layers"/> (bottom first, as in the
    /// manifest), unpacking missing layers in parallel. Returns the mount spec; mount it with <see cref="Mounter.Mount"/>.
    /// </summary>
    public Task<MountSpec> PrepareAsync(string key, IReadOnlyList<SnapshotLayer> layers, CancellationToken cancellationToken = default) =>
        CreateAsync(key, layers, readOnly: false, cancellationToken);

    /// <summary>Like <see cref="PrepareAsync"/> but read-only (no upper dir), e.g. for COPY --from or inspecting an image.</summary>
    public Task<MountSpec> ViewAsync(string key, IReadOnlyList<SnapshotLayer> layers, CancellationToken cancellationToken = default) =>
        CreateAsync(key, layers, readOnly: true, cancellationToken);

    /// <summary>The mount spec of an existing snapshot, or null when there is none with that key.</summary>
    public MountSpec? Get(string key)
    {
        ValidateKey(key);
        var dir = Path.Combine(_active, key);
        var meta = ReadMeta(dir);
        return meta is null ? null : BuildSpec(key, dir, meta.Value.Kind, meta.Value.Layers);
    }

    /// <summary>Keys of all prepared snapshots.</summary>
    public IReadOnlyList<string> ListActive() =>
        [.. Directory.EnumerateDirectories(_active).Select(Path.GetFileName).Select(n => n!).Order(StringComparer.Ordinal)];

    /// <summary>DiffIDs of all unpacked layers.</summary>
    public IReadOnlyList<Digest> ListLayers() =>
        [.. Directory.EnumerateDirectories(_layers).Select(d => Digest.TryParse("sha256:" + Path.GetFileName(d), out var dg) ? dg : default).Where(d => !d.IsDefault).Order()];

    /// <summary>
    /// Diffs the snapshot's upper dir into a layer written to <paramref name="output"/> (see <see cref="OverlayDiffer"/>),
    /// keeps the upper dir as the unpacked form of that new layer (so the next step needs no unpack), and removes the
    /// snapshot. Unmount it first. An empty result (<see cref="LayerResult.IsEmpty"/>) adds no layer.
    /// </summary>
    public async Task<LayerResult> CommitAsync(string key, Stream output, LayerWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await DiffAsync(key, output, options, cancellationToken).ConfigureAwait(false);
        var dir = Path.Combine(_active, key);
        if (!result.IsEmpty && !HasLayer(result.DiffId))
        {
            var upper = Path.Combine(dir, "upper");
            StripOverlayXattrs(upper);
            var staging = Path.Combine(_tmp, "commit-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(staging);
            Directory.Move(upper, Path.Combine(staging, "fs"));
            await File.WriteAllTextAsync(Path.Combine(staging, "diffid"), result.DiffId + "\n", cancellationToken).ConfigureAwait(false);
            MarkUnsynced(staging);
            Publish(staging, LayerDir(result.DiffId));
        }

        await RemoveAsync(key, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary><see cref="CommitAsync(string, Stream, LayerWriteOptions?, CancellationToken)"/> into a blob store (empty layers are not stored).</summary>
    public Task<LayerResult> CommitAsync(string key, IBlobWriter blobs, LayerWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        LayerPipeline.WriteToStoreAsync(blobs, _tmp, s => CommitAsync(key, s, options, cancellationToken), cancellationToken);

    /// <summary>Writes the snapshot's changes as a layer without committing or removing it.</summary>
    public Task<LayerResult> DiffAsync(string key, Stream output, LayerWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var dir = Path.Combine(_active, key);
        var meta = ReadMeta(dir) ?? throw new GantryException($"snapshot '{key}' does not exist; prepare it first.");
        if (meta.Kind != "overlay")
        {
            throw new GantryException($"snapshot '{key}' is a {meta.Kind} snapshot; only overlay snapshots can be diffed into a layer (overlayfs is unavailable on this host).");
        }

        return OverlayDiffer.WriteLayerAsync(Path.Combine(dir, "upper"), output, options, cancellationToken);
    }

    /// <summary>Removes a snapshot (unmount it first). A missing key is not an error.</summary>
    public Task RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var dir = Path.Combine(_active, key);
        if (!Directory.Exists(dir))
        {
            return Task.CompletedTask;
        }

        if (Mounter.IsMountPoint(Path.Combine(dir, "merged")))
        {
            throw new GantryException($"snapshot '{key}' is still mounted at {Path.Combine(dir, "merged")}; unmount it before removing it.");
        }

        var trash = Path.Combine(_tmp, "rm-" + Guid.NewGuid().ToString("N"));
        Directory.Move(dir, trash);
        return Task.Run(() => FileSystem.RemoveAll(trash), cancellationToken);
    }

    /// <summary>
    /// Holds the store's shared lock until disposed: a build that uses unpacked layers directly (<see cref="LayerPath"/>) holds
    /// it for its whole run, so <see cref="PruneAsync"/> waits instead of removing a layer under it.
    /// </summary>
    public Task<IDisposable> HoldAsync(CancellationToken cancellationToken = default) => LockAsync(exclusive: false, cancellationToken);

    /// <summary>
    /// Removes unpacked layers that neither <paramref name="diffIdsInUse"/> (the layers of every stored image) nor any prepared
    /// snapshot uses, and stale temp dirs. Returns the removed diffIDs.
    /// </summary>
    public async Task<IReadOnlyList<Digest>> PruneAsync(IReadOnlySet<Digest> diffIdsInUse, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(diffIdsInUse);
        using var gcLock = await LockAsync(exclusive: true, cancellationToken).ConfigureAwait(false);
        var used = new HashSet<Digest>(diffIdsInUse);
        foreach (var key in ListActive())
        {
            if (ReadMeta(Path.Combine(_active, key)) is { } meta)
            {
                used.UnionWith(meta.Layers);
            }
        }

        var removed = new List<Digest>();
        foreach (var diffId in ListLayers())
        {
            if (used.Contains(diffId))
            {
                continue;
            }

            var trash = Path.Combine(_tmp, "gc-" + Guid.NewGuid().ToString("N"));
            try
            {
                Directory.Move(LayerDir(diffId), trash);
            }
            catch (IOException)
            {
                continue;
            }

            FileSystem.RemoveAll(trash);
            removed.Add(diffId);
        }

        foreach (var stale in Directory.EnumerateFileSystemEntries(_tmp))
        {
            if (Directory.GetLastWriteTimeUtc(stale) < DateTime.UtcNow.AddHours(-1) || Path.GetFileName(stale).StartsWith("gc-", StringComparison.Ordinal) || Path.GetFileName(stale).StartsWith("rm-", StringComparison.Ordinal))
            {
                FileSystem.RemoveAll(stale);
            }
        }

        return removed;
    }

    private async Task<MountSpec> CreateAsync(string key, IReadOnlyList<SnapshotLayer> layers, bool readOnly, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(layers);
        var dir = Path.Combine(_active, key);
        if (Directory.Exists(dir))
        {
            throw new GantryException($"a snapshot named '{key}' already exists; remove it first or use another key.");
        }

        using var gcLock = await LockAsync(exclusive: false, cancellationToken).ConfigureAwait(false);
        var staging = Path.Combine(_tmp, "prep-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        try
        {
            string kind;
            if (UsesOverlay)
            {
                kind = readOnly ? "view" : "overlay";
                await EnsureLayersAsync(layers, cancellationToken).ConfigureAwait(false);
                if (!readOnly)
                {
                    Directory.CreateDirectory(Path.Combine(staging, "upper"));
                    Directory.CreateDirectory(Path.Combine(staging, "work"));
                }
            }
            else
            {
                kind = "copy";
                var rootfs = Path.Combine(staging, "rootfs");
                Directory.CreateDirectory(rootfs);
                foreach (var layer in layers)
                {
                    var blob = await _blobs.OpenReadAsync(layer.Blob.Digest, cancellationToken).ConfigureAwait(false);
                    await using (blob.ConfigureAwait(false))
                    {
                        using var verifying = new VerifyingStream(blob, layer.Blob.Digest, layer.Blob.Size, $"layer {layer.Blob.Digest}");
                        await LayerExtractor.ExtractAsync(verifying, rootfs, new ExtractOptions
                        {
                            Mode = ExtractMode.Flatten,
                            ExpectedDiffId = layer.DiffId,
                            Description = $"layer {layer.Blob.Digest}",
                            Sync = false,
                        }, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            Directory.CreateDirectory(Path.Combine(staging, "merged"));
            await File.WriteAllTextAsync(Path.Combine(staging, "kind"), kind + "\n", cancellationToken).ConfigureAwait(false);
            await File.WriteAllLinesAsync(Path.Combine(staging, "layers"), layers.Select(l => l.DiffId.ToString()), cancellationToken).ConfigureAwait(false);
            try
            {
                Directory.Move(staging, dir);
            }
            catch (IOException) when (Directory.Exists(dir))
            {
                throw new GantryException($"a snapshot named '{key}' already exists; remove it first or use another key.");
            }

            return BuildSpec(key, dir, kind, [.. layers.Select(l => l.DiffId)]);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                FileSystem.RemoveAll(staging);
            }
        }
    }

    private MountSpec BuildSpec(string key, string dir, string kind, IReadOnlyList<Digest> layers)
    {
        if (kind == "copy")
        {
            return new MountSpec { Kind = MountKind.Bind, Key = key, Source = Path.Combine(dir, "rootfs") };
        }

        var lowers = layers.Reverse().Select(LayerFs).ToList();
        if (lowers.Count == 0)
        {
            var empty = Path.Combine(Root, "empty");
            Directory.CreateDirectory(empty);
            lowers.Add(empty);
        }

        if (kind == "view" && lowers.Count == 1)
        {
            return new MountSpec { Kind = MountKind.Bind, Key = key, Source = lowers[0], ReadOnly = true };
        }

        if (lowers.Sum(l => l.Length + 1) > 3000)
        {
            lowers = [.. lowers.Select(ShortLink)];
        }

        return new MountSpec
        {
            Kind = MountKind.Overlay,
            Key = key,
            LowerDirs = lowers,
            UpperDir = kind == "view" ? null : Path.Combine(dir, "upper"),
            WorkDir = kind == "view" ? null : Path.Combine(dir, "work"),
            ReadOnly = kind == "view",
            ExtraOptions = Detect().Extra,
        };
    }

    private string ShortLink(string layerFs)
    {
        var l = Path.Combine(Root, "l");
        Directory.CreateDirectory(l);
        var hex = Path.GetFileName(Path.GetDirectoryName(layerFs)!);
        var link = Path.Combine(l, hex[..16]);
        if (!Libc.TryLstat(link, out _, out _))
        {
            Libc.Symlink("../layers/" + hex + "/fs", link);
        }

        return link;
    }

    private async Task<string> UnpackLayerAsync(SnapshotLayer layer, CancellationToken cancellationToken)
    {
        var blob = await _blobs.OpenReadAsync(layer.Blob.Digest, cancellationToken).ConfigureAwait(false);
        await using (blob.ConfigureAwait(false))
        {
            using var verifying = new VerifyingStream(blob, layer.Blob.Digest, layer.Blob.Size, $"layer {layer.Blob.Digest}");
            return await UnpackStreamAsync(layer, verifying, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Unpacks the layer's compressed bytes into a staging dir, checks the diffID, and publishes it.</summary>
    private async Task<string> UnpackStreamAsync(SnapshotLayer layer, Stream compressed, CancellationToken cancellationToken)
    {
        var target = LayerDir(layer.DiffId);
        var staging = Path.Combine(_tmp, "unpack-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        try
        {
            var compression = MediaTypes.LayerCompression(layer.Blob.MediaType);
            var result = await LayerExtractor.ExtractAsync(compressed, Path.Combine(staging, "fs"), new ExtractOptions
            {
                Mode = ExtractMode.OverlayLower,
                ExpectedDiffId = layer.DiffId,
                Description = $"layer {layer.Blob.Digest}",
                Compression = compression == Compression.None ? null : compression,
                Sync = BootId is null, // else marked with the boot id: see the class remarks
            }, cancellationToken).ConfigureAwait(false);
            _measured[layer.DiffId] = result.UncompressedSize;

            await File.WriteAllTextAsync(Path.Combine(staging, "diffid"), layer.DiffId + "\n", cancellationToken).ConfigureAwait(false);
            MarkUnsynced(staging);
            Publish(staging, target);
            return Path.Combine(target, "fs");
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                FileSystem.RemoveAll(staging);
            }
        }
    }

    /// <summary>Renames a finished staging dir into place; when another process got there first, ours is discarded.</summary>
    private static void Publish(string staging, string target)
    {
        if (Libc.Rename(staging, target) != 0)
        {
            var errno = Libc.LastError;
            if (errno is not (Libc.EEXIST or Libc.ENOTEMPTY))
            {
                throw new GantryException($"cannot move the unpacked layer into {target}: {Libc.ErrorText(errno)}.");
            }

            FileSystem.RemoveAll(staging);
        }
    }

    private async Task<string> AwaitAndForget(Digest diffId, Task<string> task)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        finally
        {
            _unpacking.TryRemove(diffId, out _);
        }
    }

    private static void StripOverlayXattrs(string dir)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }).Prepend(dir))
        {
            var names = Xattrs.Read(entry, n => n.StartsWith("trusted.overlay.", StringComparison.Ordinal) && n != "trusted.overlay.opaque");
            if (names is null)
            {
                continue;
            }

            foreach (var name in names.Keys)
            {
                Libc.Lremovexattr(entry, name);
            }
        }
    }

    private (bool Overlay, string[] Extra) Detect() =>
        Detected.GetOrAdd(Root, root => new Lazy<(bool, string[])>(() => ProbeOverlay(Path.Combine(root, "tmp")))).Value;

    private static (bool, string[]) ProbeOverlay(string tmp)
    {
        if (!Libc.IsRoot)
        {
            return (false, []);
        }

        var probe = Path.Combine(tmp, "probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var d in new[] { "lower1", "lower2", "upper", "work", "merged" })
            {
                Directory.CreateDirectory(Path.Combine(probe, d));
            }

            var baseData = $"lowerdir={probe}/lower1:{probe}/lower2,upperdir={probe}/upper,workdir={probe}/work";
            foreach (var extra in new[] { new[] { "index=off" }, Array.Empty<string>() })
            {
                var data = string.Join(',', [baseData, .. extra]);
                if (Libc.Mount("overlay", Path.Combine(probe, "merged"), "overlay", 0, data) == 0)
                {
                    Libc.Umount2(Path.Combine(probe, "merged"), Libc.MntDetach);
                    return (true, extra);
                }
            }

            return (false, []);
        }
        finally
        {
            FileSystem.RemoveAll(probe);
        }
    }

    private async Task<IDisposable> LockAsync(bool exclusive, CancellationToken cancellationToken)
    {
        var fd = Libc.Open(Path.Combine(Root, "lock"), Libc.OWrOnly | Libc.OCreat | Libc.OCloExec, 0x180);
        if (fd < 0)
        {
            throw new GantryException($"cannot open the snapshot lock {Path.Combine(Root, "lock")}: {Libc.ErrorText(Libc.LastError)}.");
        }

        await Task.Run(() => Libc.Flock(fd, exclusive ? Libc.LockEx : Libc.LockSh), cancellationToken).ConfigureAwait(false);
        return new FdLock(fd);
    }

    private static (string Kind, Digest[] Layers)? ReadMetaCore(string dir)
    {
        var kindFile = Path.Combine(dir, "kind");
        if (!File.Exists(kindFile))
        {
            return null;
        }

        var kind = File.ReadAllText(kindFile).Trim();
        var layers = File.ReadAllLines(Path.Combine(dir, "layers")).Where(l => l.Length > 0).Select(Digest.Parse).ToArray();
        return (kind, layers);
    }

    private static (string Kind, Digest[] Layers)? ReadMeta(string dir) => Directory.Exists(dir) ? ReadMetaCore(dir) : null;

    private const string BootFile = "boot";

    private string LayerDir(Digest diffId) => Path.Combine(_layers, diffId.Encoded);

    private string LayerFs(Digest diffId) => Path.Combine(_layers, diffId.Encoded, "fs");

    private static void ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!KeyPattern().IsMatch(key))
        {
            throw new GantryException($"invalid snapshot key '{key}': use 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex KeyPattern();

    private sealed class FdLock(int fd) : IDisposable
    {
        public void Dispose() => Libc.Close(fd);
    }
}
