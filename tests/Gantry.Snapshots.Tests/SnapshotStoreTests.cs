// Owns: end-to-end snapshot tests on real overlayfs: prepare, mount, change, commit as a layer, stack it, and GC.
using Gantry.Oci;
using Gantry.Snapshots.Native;
using Gantry.TestKit;

namespace Gantry.Snapshots.Tests;

public sealed class SnapshotStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(SnapshotStore Store, TestBlobStore Blobs, SnapshotLayer Base)> BusyboxStoreAsync(TempDirectory tmp, bool forceCopy = false)
    {
        var busybox = BusyboxRootfs.Get();
        var blobs = new TestBlobStore(tmp.Combine("blobs"));
        var diffId = await Digest.ComputeAsync(File.OpenRead(busybox.Tar), Ct);
        var layer = await blobs.AddLayerFileAsync(busybox.TarGz, MediaTypes.OciLayerGzip, diffId);
        return (new SnapshotStore(tmp.Combine("root"), blobs, new SnapshotStoreOptions { ForceCopy = forceCopy }), blobs, layer);
    }

    [Fact]
    public async Task A_layer_unpacked_without_a_sync_in_an_earlier_boot_is_unpacked_again_from_its_blob()
    {
        using var tmp = new TempDirectory("snap-boot");
        var (store, _, layer) = await BusyboxStoreAsync(tmp);
        Assert.NotNull(SnapshotStore.BootId); // /proc/sys/kernel/random/boot_id is readable on Linux

        var fs = await store.EnsureLayerAsync(layer, Ct);
        var mark = Path.Combine(Path.GetDirectoryName(fs)!, "boot");
        Assert.Equal(SnapshotStore.BootId, File.ReadAllText(mark).Trim()); // unpacked without a sync, in this boot
        Assert.True(store.HasLayer(layer.DiffId));

        // As after a crash: the mark names another boot and a file of the layer lost its bytes.
        File.WriteAllText(mark, "00000000-0000-0000-0000-000000000000\n");
        File.WriteAllText(Path.Combine(fs, "etc", "passwd"), string.Empty);
        Assert.False(store.HasLayer(layer.DiffId));
        Assert.False(Directory.Exists(fs)); // set aside, not reused

        fs = await store.EnsureLayerAsync(layer, Ct);
        Assert.True(store.HasLayer(layer.DiffId));
        Assert.NotEqual(0, new FileInfo(Path.Combine(fs, "etc", "passwd")).Length);
        TreeSnapshot.AssertSame(BusyboxRootfs.Get().RootfsDir, fs);

        // A layer without a mark was synced when it was made (older gantry): trusted as it is.
        File.Delete(mark);
        Assert.True(store.HasLayer(layer.DiffId));
    }

    [Fact]
    public async Task Overlay_round_trip_commit_whiteouts_opaque_and_stacking()
    {
        Requires.Root();
        using var tmp = new TempDirectory("snap-rt");
        var (store, blobs, baseLayer) = await BusyboxStoreAsync(tmp);
        Assert.True(store.UsesOverlay, "overlayfs should work on this host");

        var spec = await store.PrepareAsync("step1", [baseLayer], Ct);
        Assert.Equal(MountKind.Overlay, spec.Kind);
        Assert.Single(spec.LowerDirs);
        var merged = tmp.Combine("merged");
        Mounter.Mount(spec, merged);
        try
        {
            Assert.True(File.Exists(Path.Combine(merged, "bin", "busybox")));
            File.Delete(Path.Combine(merged, "etc", "group"));                          // deletion of a lower file
            File.WriteAllText(Path.Combine(merged, "etc", "passwd"), "root:x:0:0::/root:/bin/sh\n"); // modification
            Directory.Delete(Path.Combine(merged, "home"), recursive: true);            // rm -rf + mkdir = opaque
            Directory.CreateDirectory(Path.Combine(merged, "home", "new"));
            File.WriteAllText(Path.Combine(merged, "home", "new", "f"), "x");
            Directory.CreateDirectory(Path.Combine(merged, "app"));
            File.WriteAllText(Path.Combine(merged, "app", "a"), "A");
            Assert.Equal(0, Libc.Link(Path.Combine(merged, "app", "a"), Path.Combine(merged, "app", "b")));
            File.Delete(Path.Combine(merged, "bin", "ls"));                             // a symlink removed
        }
        finally
        {
            Mounter.Unmount(merged);
        }

        // The upper dir really holds overlay whiteouts and the opaque marker (and overlay's own xattrs).
        var upper = spec.UpperDir!;
        Assert.True(Libc.TryLstat(Path.Combine(upper, "etc", "group"), out var wh, out _));
        Assert.Equal((Libc.SIfChr, 0u, 0u), (wh.Type, wh.RdevMajor, wh.RdevMinor));
        Assert.Equal("y"u8.ToArray(), Xattrs.Get(Path.Combine(upper, "home"), "trusted.overlay.opaque"));

        var layerFile = tmp.Combine("layer.tar.gz");
        LayerResult result;
        await using (var output = File.Create(layerFile))
        {
            result = await store.CommitAsync("step1", output, new LayerWriteOptions(), Ct);
        }

        Assert.False(result.IsEmpty);
        Assert.Null(store.Get("step1"));
        Assert.True(store.HasLayer(result.DiffId));
        var listing = ProcessRunner.Run("tar", ["-tzvf", layerFile]).StdOut;
        Assert.Contains("etc/.wh.group", listing, StringComparison.Ordinal);
        Assert.Contains("bin/.wh.ls", listing, StringComparison.Ordinal);
        Assert.Contains("home/.wh..wh..opq", listing, StringComparison.Ordinal);
        Assert.Contains("app/b link to app/a", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("trusted.overlay", File.ReadAllText(layerFile), StringComparison.Ordinal);
        var raw = new MemoryStream();
        await using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(layerFile), System.IO.Compression.CompressionMode.Decompress))
        {
            await gz.CopyToAsync(raw, Ct);
        }

        Assert.DoesNotContain("trusted.overlay", System.Text.Encoding.Latin1.GetString(raw.ToArray()), StringComparison.Ordinal);
        Assert.Equal(Digest.Compute(raw.ToArray()), result.DiffId);

        // Flattened: base then the new layer on top gives the expected tree.
        var flat = tmp.Combine("flat");
        await LayerExtractor.ExtractFileAsync(BusyboxRootfs.Get().TarGz, flat, new ExtractOptions { Mode = ExtractMode.Flatten, Sync = false }, Ct);
        await LayerExtractor.ExtractFileAsync(layerFile, flat, new ExtractOptions { Mode = ExtractMode.Flatten, Sync = false, ExpectedDiffId = result.DiffId }, Ct);
        AssertExpectedTree(flat);

        // Stacked with overlay: the committed upper dir serves as the new layer (no blob needed), then from the blob.
        var layer2 = new SnapshotLayer(result.ToDescriptor(), result.DiffId);
        var spec2 = await store.ViewAsync("view2", [baseLayer, layer2], Ct);
        Assert.Equal(2, spec2.LowerDirs.Count);
        var merged2 = tmp.Combine("merged2");
        Mounter.Mount(spec2, merged2);
        try
        {
            AssertExpectedTree(merged2);
            TreeSnapshot.AssertSame(flat, merged2);
        }
        finally
        {
            Mounter.Unmount(merged2);
        }

        await store.RemoveAsync("view2", Ct);

        // GC: nothing prepared, only the base in use -> the committed layer goes, the base stays.
        var removed = await store.PruneAsync(new HashSet<Digest> { baseLayer.DiffId }, Ct);
        Assert.Equal([result.DiffId], removed);
        Assert.Equal([baseLayer.DiffId], store.ListLayers());

        // Unpacked again from the blob on demand, same view.
        await blobs.WriteAsync(result.ToDescriptor(), File.OpenRead(layerFile), Ct);
        var spec3 = await store.ViewAsync("view3", [baseLayer, layer2], Ct);
        Mounter.Mount(spec3, merged2);
        try
        {
            TreeSnapshot.AssertSame(flat, merged2);
        }
        finally
        {
            Mounter.Unmount(merged2);
            await store.RemoveAsync("view3", Ct);
        }
    }

    private static void AssertExpectedTree(string root)
    {
        Assert.False(File.Exists(Path.Combine(root, "etc", "group")));
        Assert.Equal("root:x:0:0::/root:/bin/sh\n", File.ReadAllText(Path.Combine(root, "etc", "passwd")));
        Assert.Equal(["new"], Directory.GetFileSystemEntries(Path.Combine(root, "home")).Select(Path.GetFileName));
        Assert.Equal("x", File.ReadAllText(Path.Combine(root, "home", "new", "f")));
        Assert.False(Libc.TryLstat(Path.Combine(root, "bin", "ls"), out _, out _));
        Assert.True(Libc.TryLstat(Path.Combine(root, "app", "a"), out var a, out _));
        Assert.True(Libc.TryLstat(Path.Combine(root, "app", "b"), out var b, out _));
        Assert.Equal(a.Ino, b.Ino);
        Assert.True(File.Exists(Path.Combine(root, "bin", "busybox")));
    }

    [Fact]
    public async Task Same_upper_tree_gives_the_same_digests_twice()
    {
        Requires.Root();
        using var tmp = new TempDirectory("snap-det");
        var (store, _, baseLayer) = await BusyboxStoreAsync(tmp);
        var results = new List<LayerResult>();
        foreach (var key in new[] { "a", "b" })
        {
            var spec = await store.PrepareAsync(key, [baseLayer], Ct);
            var merged = tmp.Combine("m-" + key);
            Mounter.Mount(spec, merged);
            try
            {
                File.Delete(Path.Combine(merged, "etc", "group"));
                Directory.CreateDirectory(Path.Combine(merged, "srv", "data"));
                File.WriteAllText(Path.Combine(merged, "srv", "data", "z"), "z");
                File.WriteAllText(Path.Combine(merged, "srv", "a"), "a");
            }
            finally
            {
                Mounter.Unmount(merged);
            }

            await using var o = new MemoryStream();
            results.Add(await store.DiffAsync(key, o, new LayerWriteOptions { SourceDateEpoch = DateTimeOffset.FromUnixTimeSeconds(1_600_000_000) }, Ct));
            await store.RemoveAsync(key, Ct);
        }

        Assert.Equal(results[0], results[1]);
    }

    [Fact]
    public async Task Unchanged_snapshot_commits_as_an_empty_layer()
    {
        Requires.Root();
        using var tmp = new TempDirectory("snap-nochange");
        var (store, blobs, baseLayer) = await BusyboxStoreAsync(tmp);
        await store.PrepareAsync("k", [baseLayer], Ct);
        var r = await store.CommitAsync("k", blobs, null, Ct);
        Assert.True(r.IsEmpty);
        Assert.Empty(store.ListActive());
    }

    [Fact]
    public async Task Copy_fallback_gives_a_ready_rootfs_directory()
    {
        using var tmp = new TempDirectory("snap-copy");
        var (store, blobs, baseLayer) = await BusyboxStoreAsync(tmp, forceCopy: true);
        var writer = new LayerWriter();
        writer.AddWhiteout("etc/group");
        writer.AddBytes("etc/motd", "hello"u8.ToArray());
        var top = await writer.WriteAsync(blobs, tmp.Combine("t"), Ct);
        var spec = await store.PrepareAsync("c1", [baseLayer, new SnapshotLayer(top.ToDescriptor(), top.DiffId)], Ct);
        Assert.Equal(MountKind.Bind, spec.Kind);
        Assert.False(File.Exists(Path.Combine(spec.Source!, "etc", "group")));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(spec.Source!, "etc", "motd")));
        Assert.True(File.Exists(Path.Combine(spec.Source!, "bin", "busybox")));
        Assert.Equal(spec, store.Get("c1"));
        await Assert.ThrowsAsync<GantryException>(() => store.PrepareAsync("c1", [baseLayer], Ct));
        await store.RemoveAsync("c1", Ct);
        Assert.Empty(store.ListActive());
    }

    [Fact]
    public async Task A_corrupt_blob_leaves_nothing_behind()
    {
        using var tmp = new TempDirectory("snap-badblob");
        var (store, blobs, baseLayer) = await BusyboxStoreAsync(tmp);
        var wrong = baseLayer with { DiffId = Digest.Compute("other"u8) };
        await Assert.ThrowsAsync<DigestMismatchException>(() => store.PrepareAsync("bad", [wrong], Ct));
        Assert.Empty(store.ListActive());
        Assert.Empty(store.ListLayers());
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "tmp")));
        _ = blobs;
    }

    [Fact]
    public async Task A_layer_streamed_in_as_it_downloads_is_unpacked_once_and_checked_against_its_diff_id()
    {
        Requires.Root();
        using var tmp = new TempDirectory("snap-stream");
        var (store, _, baseLayer) = await BusyboxStoreAsync(tmp);
        var busybox = BusyboxRootfs.Get();

        // A wrong diff ID: the unpack fails naming the layer, and no layer dir appears.
        var wrong = baseLayer with { DiffId = Digest.Compute("not this layer"u8) };
        await using (var stream = File.OpenRead(busybox.TarGz))
        {
            var ex = await Assert.ThrowsAsync<DigestMismatchException>(() => store.UnpackFromStreamAsync(wrong, stream, Ct));
            Assert.Contains("image config says", ex.Message, StringComparison.Ordinal);
        }

        Assert.False(store.HasLayer(wrong.DiffId));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, "tmp")));

        long? size;
        await using (var stream = File.OpenRead(busybox.TarGz))
        {
            size = await store.UnpackFromStreamAsync(baseLayer, stream, Ct);
        }

        Assert.Equal(new FileInfo(busybox.Tar).Length, size);
        Assert.True(store.HasLayer(baseLayer.DiffId));
        Assert.True(File.Exists(Path.Combine(store.LayerPath(baseLayer.DiffId), "bin", "busybox")));

        // Already there: nothing is read, nothing measured again.
        await using (var stream = File.OpenRead(busybox.TarGz))
        {
            Assert.Null(await store.UnpackFromStreamAsync(baseLayer, stream, Ct));
            Assert.Equal(0, stream.Position);
        }
    }
}
