// Owns: tests of image names, resolution, tagging, removal, prune and GC in the image store.
using System.Text.Json;
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Content.Tests;

public sealed class ImageStoreTests
{
    [Fact]
    public async Task Create_and_resolve_by_name_id_short_id_and_digest()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var image = await StoreFixture.MakeImageAsync(store, "cron-ticker", 2, ct: ct);
        Assert.Equal(image.Manifest.Config.Digest, image.Id);
        Assert.Equal(["cron-ticker:latest"], image.RepoTags);
        Assert.Empty(image.RepoDigests);
        foreach (var input in new[] { "cron-ticker", "cron-ticker:latest", "docker.io/library/cron-ticker:latest", image.Id.ToString(), image.Id.Encoded, image.Id.Short, image.Id.Encoded[..4], "sha256:" + image.Id.Encoded[..8] })
        {
            var resolved = await store.ResolveAsync(input, ct);
            Assert.Equal(image.Id, resolved.Id);
            Assert.Equal(2, resolved.Layers.Count);
        }

        await store.TagAsync(image.Target, ImageReference.Parse($"localhost:5000/x/y@{image.Target.Digest}"), ct);
        Assert.Equal(image.Id, (await store.ResolveAsync($"localhost:5000/x/y@{image.Target.Digest}", ct)).Id);
        var ex = await Assert.ThrowsAsync<ContentNotFoundException>(() => store.ResolveAsync("other", ct));
        Assert.Equal("No such image: other", ex.Message);
        await Assert.ThrowsAsync<InvalidReferenceException>(() => store.ResolveAsync("Bad:Name:x", ct));
    }

    [Fact]
    public async Task Index_json_names_carry_the_full_normalized_name()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var image = await StoreFixture.MakeImageAsync(store, "isaias0328/cron-ticker:pantera", ct: ct);
        var index = OciJson.ParseIndex(File.ReadAllBytes(store.IndexPath));
        var entry = Assert.Single(index.Manifests);
        Assert.Equal(image.Target.Digest, entry.Digest);
        Assert.Equal(MediaTypes.OciManifest, entry.MediaType);
        Assert.Equal("docker.io/isaias0328/cron-ticker:pantera", entry.Annotations![Annotations.RefName]);
        Assert.Equal("docker.io/isaias0328/cron-ticker:pantera", entry.Annotations![Annotations.ContainerdImageName]);
        // Manifests are stored byte for byte.
        Assert.Equal(image.ManifestBytes, File.ReadAllBytes(store.Blobs.BlobPath(image.Target.Digest)));
    }

    [Fact]
    public async Task Tag_gives_the_same_id_and_retag_leaves_a_dangling_image()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var first = await StoreFixture.MakeImageAsync(store, "app", ct: ct);
        var tagged = await store.TagAsync("app", "isaias0328/app:v1", ct);
        Assert.Equal(first.Id, tagged.Id);
        Assert.Equal(["app:latest", "isaias0328/app:v1"], (await store.ResolveAsync("app", ct)).RepoTags.Order(StringComparer.Ordinal));

        var second = await StoreFixture.MakeImageAsync(store, "app", ct: ct);
        var list = await store.ListAsync(ct);
        Assert.Equal(2, list.Count);
        Assert.Equal(second.Id, (await store.ResolveAsync("app", ct)).Id);
        Assert.Equal(["isaias0328/app:v1"], list.Single(i => i.Id == first.Id).RepoTags);

        Assert.True(await store.UntagAsync(ImageReference.Parse("isaias0328/app:v1"), ct));
        Assert.True((await store.ListAsync(ct)).Single(i => i.Id == first.Id).IsDangling);
        Assert.False(await store.UntagAsync(ImageReference.Parse("isaias0328/app:v1"), ct));
    }

    [Fact]
    public async Task Remove_untags_then_deletes_on_the_last_name_and_collects_blobs()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var keep = await StoreFixture.MakeImageAsync(store, "keep", ct: ct);
        var blobsBefore = StoreFixture.BlobFiles(store);
        var image = await StoreFixture.MakeImageAsync(store, "a", 2, ct: ct);
        await store.TagAsync("a", "b", ct);

        var r1 = await store.RemoveAsync("a", cancellationToken: ct);
        Assert.Equal(["a:latest"], r1.Untagged);
        Assert.Empty(r1.Deleted);

        var r2 = await store.RemoveAsync("b:latest", cancellationToken: ct);
        Assert.Equal(["b:latest"], r2.Untagged);
        Assert.Equal(image.Id, r2.Deleted[0]);
        Assert.Equal(3, r2.Deleted.Count); // image ID + two layer chain IDs
        Assert.Equal(blobsBefore, StoreFixture.BlobFiles(store));
        Assert.Equal(keep.Id, Assert.Single(await store.ListAsync(ct)).Id);
    }

    [Fact]
    public async Task Remove_by_id_with_several_names_needs_force_and_in_use_is_a_conflict()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var image = await StoreFixture.MakeImageAsync(store, "a", ct: ct);
        await store.TagAsync("a", "b", ct);
        var ex = await Assert.ThrowsAsync<GantryException>(() => store.RemoveAsync(image.Id.Short, cancellationToken: ct));
        Assert.Contains("must be forced", ex.Message, StringComparison.Ordinal);

        var inUse = await Assert.ThrowsAsync<GantryException>(() => store.RemoveAsync("b", isInUse: id => id == image.Id, cancellationToken: ct).ContinueWith(t => store.RemoveAsync("a", isInUse: id => id == image.Id, cancellationToken: ct)).Unwrap());
        Assert.Contains("container", inUse.Message, StringComparison.Ordinal);
        Assert.Single(await store.ListAsync(ct));

        var forced = await store.RemoveAsync(image.Id.Short, force: true, cancellationToken: ct);
        Assert.Equal(image.Id, forced.Deleted[0]);
        Assert.Empty(await store.ListAsync(ct));
        Assert.Empty(StoreFixture.BlobFiles(store));
    }

    [Fact]
    public async Task Prune_removes_dangling_images_only_unless_all()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var dangling = await StoreFixture.MakeImageAsync(store, null, ct: ct);
        var used = await StoreFixture.MakeImageAsync(store, "used", ct: ct);
        var named = await StoreFixture.MakeImageAsync(store, "named", ct: ct);
        Assert.True(dangling.IsDangling);

        var pruned = await store.PruneAsync(cancellationToken: ct);
        Assert.Equal(dangling.Id, Assert.Single(pruned.Removed).Deleted[0]);
        Assert.True(pruned.ReclaimedBytes > 0);

        var all = await store.PruneAsync(all: true, isInUse: id => id == used.Id, cancellationToken: ct);
        Assert.Equal(named.Id, Assert.Single(all.Removed).Deleted[0]);
        Assert.Equal(used.Id, Assert.Single(await store.ListAsync(ct)).Id);
    }

    [Fact]
    public async Task Gc_keeps_gcroots_and_leased_writes_and_removes_leftovers()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var rooted = await store.Blobs.WriteAsync("rooted"u8.ToArray(), ct);
        var loose = await store.Blobs.WriteAsync("loose"u8.ToArray(), ct);
        AtomicFile.WriteAllBytes(Path.Combine(store.GcRootsDirectory, "build-cache"), System.Text.Encoding.UTF8.GetBytes(rooted + "\n"));
        File.WriteAllText(Path.Combine(store.Blobs.IngestDirectory, "12345-leftover"), "partial");

        var gc = await store.CollectGarbageAsync(ct);
        Assert.Equal([loose], gc.RemovedBlobs);
        Assert.True(await store.Blobs.ExistsAsync(rooted, ct));
        Assert.Empty(Directory.GetFiles(store.Blobs.IngestDirectory));

        // While a lease is held, GC waits.
        var lease = await store.AcquireLeaseAsync(ct);
        var again = await store.Blobs.WriteAsync("again"u8.ToArray(), ct);
        var gcTask = store.CollectGarbageAsync(ct);
        await Task.Delay(200, ct);
        Assert.False(gcTask.IsCompleted);
        Assert.True(await store.Blobs.ExistsAsync(again, ct));
        lease.Dispose();
        Assert.Equal([again], (await gcTask).RemovedBlobs);
    }

    [Fact]
    public async Task Manifest_referring_to_missing_blobs_is_refused()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var manifest = new ImageManifest { Config = Descriptor.For(MediaTypes.OciConfig, "{}"u8), Layers = [] };
        var ex = await Assert.ThrowsAsync<ContentNotFoundException>(() => store.StoreManifestAsync(OciJson.Serialize(manifest), [ImageReference.Parse("x")], ct));
        Assert.Contains("not in the store", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(store.IndexPath));
    }

    [Fact]
    public async Task Docker_manifest_and_index_are_stored_byte_for_byte()
    {
        using var tmp = StoreFixture.Temp();
        var store = ImageStore.Open(tmp.FullPath);
        var ct = TestContext.Current.CancellationToken;
        var config = await store.Blobs.WriteAsync(MediaTypes.DockerConfig, OciJson.Serialize(new ImageConfig { Created = DateTimeOffset.UnixEpoch.AddDays(1) }), ct);
        var manifestJson = "{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n   \"config\": " + JsonSerializer.Serialize(config, OciJsonContext.Default.Descriptor) + ",\n   \"layers\": []\n}";
        var manifestBytes = System.Text.Encoding.UTF8.GetBytes(manifestJson);
        var manifestDigest = Digest.Compute(manifestBytes);
        var index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\",\"manifests\":[{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"digest\":\"" + manifestDigest + "\",\"size\":" + manifestBytes.Length + ",\"platform\":{\"architecture\":\"" + Platform.Current.Architecture + "\",\"os\":\"linux\"}}]}";
        await store.Blobs.WriteAsync(manifestBytes, ct);
        var image = await store.StoreManifestAsync(System.Text.Encoding.UTF8.GetBytes(index), [ImageReference.Parse("multi:1")], ct);
        Assert.Equal(MediaTypes.DockerManifestList, image.Target.MediaType);
        Assert.Equal(manifestDigest, image.ManifestDescriptor.Digest);
        Assert.Equal(config.Digest, image.Id);
        Assert.Equal(manifestBytes, image.ManifestBytes);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(index), File.ReadAllBytes(store.Blobs.BlobPath(image.Target.Digest)));
    }

    [Fact]
    public async Task Concurrent_writers_and_taggers_never_lose_a_name()
    {
        using var tmp = StoreFixture.Temp();
        var ct = TestContext.Current.CancellationToken;
        var baseImage = await StoreFixture.MakeImageAsync(ImageStore.Open(tmp.FullPath), "base", ct: ct);
        var tasks = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            var store = ImageStore.Open(tmp.FullPath);
            if (i % 2 == 0)
            {
                await StoreFixture.MakeImageAsync(store, $"img{i}", ct: ct);
            }
            else
            {
                await store.TagAsync("base", $"tag{i}", ct);
            }
        }, ct)).ToList();
        await Task.WhenAll(tasks);
        var list = await ImageStore.Open(tmp.FullPath).ListAsync(ct);
        var tags = list.SelectMany(i => i.RepoTags).ToHashSet();
        for (var i = 0; i < 16; i++)
        {
            Assert.Contains(i % 2 == 0 ? $"img{i}:latest" : $"tag{i}:latest", tags);
        }

        Assert.Equal(9, list.Single(i => i.Id == baseImage.Id).RepoTags.Count);
    }
}
