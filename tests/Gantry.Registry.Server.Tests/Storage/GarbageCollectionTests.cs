// Owns: online GC: unreferenced blobs and abandoned uploads go, referenced and young blobs stay, pushes during GC are safe.
using System.Net;
using Gantry.Oci;

namespace Gantry.Registry.Server.Tests.Storage;

public sealed class GarbageCollectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Age(TestRegistry r, Digest d) =>
        File.SetLastWriteTimeUtc(r.Server.Storage.BlobPath(d), DateTime.UtcNow.AddDays(-2));

    [Fact]
    public async Task Gc_removes_unreferenced_old_blobs_and_keeps_referenced_and_young_ones()
    {
        await using var r = await TestRegistry.StartAsync(o => o with { GcGrace = TimeSpan.FromHours(1), UploadExpiry = TimeSpan.FromHours(1) });
        var (manifest, mdigest, config, layer) = await r.PushImageAsync("gc/app", "v1");
        var orphan = await r.PushBlobAsync("gc/app", TestRegistry.RandomBytes(5000));
        var young = await r.PushBlobAsync("gc/app", TestRegistry.RandomBytes(100));
        foreach (var d in new[] { mdigest, config, layer, orphan })
        {
            Age(r, d);
        }

        var result = await r.Server.CollectGarbageAsync(Ct);
        Assert.Equal(1, result.BlobsDeleted);
        Assert.Equal(5000, result.BytesFreed);
        Assert.Equal(1, result.LinksDeleted);
        Assert.False(File.Exists(r.Server.Storage.BlobPath(orphan)));
        Assert.True(File.Exists(r.Server.Storage.BlobPath(young)));
        using var gone = await r.Client.GetAsync($"/v2/gc/app/blobs/{orphan}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var m = await r.Client.GetAsync("/v2/gc/app/manifests/v1", Ct);
        Assert.Equal(manifest, await m.Content.ReadAsByteArrayAsync(Ct));
        using var l = await r.Client.GetAsync($"/v2/gc/app/blobs/{layer}", Ct);
        Assert.Equal(HttpStatusCode.OK, l.StatusCode);

        // Deleting the manifest makes its blobs collectable.
        using var del = await r.Client.DeleteAsync($"/v2/gc/app/manifests/{mdigest}", Ct);
        Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        var second = await r.Server.CollectGarbageAsync(Ct);
        Assert.Equal(3, second.BlobsDeleted);
    }

    [Fact]
    public async Task Re_uploading_or_mounting_an_old_orphan_protects_it_from_the_next_gc()
    {
        await using var r = await TestRegistry.StartAsync();
        var bytes = TestRegistry.RandomBytes(300);
        var orphan = await r.PushBlobAsync("gc/src", bytes);
        Age(r, orphan);
        using var mount = await r.Client.PostAsync($"/v2/gc/dst/blobs/uploads/?mount={orphan}&from=gc/src", null, Ct);
        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        var result = await r.Server.CollectGarbageAsync(Ct);
        Assert.Equal(0, result.BlobsDeleted);
        using var get = await r.Client.GetAsync($"/v2/gc/dst/blobs/{orphan}", Ct);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Abandoned_uploads_expire_and_active_ones_stay()
    {
        await using var r = await TestRegistry.StartAsync(o => o with { UploadExpiry = TimeSpan.FromMinutes(30) });
        using var stale = await r.Client.PostAsync("/v2/gc/up/blobs/uploads/", null, Ct);
        using var fresh = await r.Client.PostAsync("/v2/gc/up/blobs/uploads/", null, Ct);
        var staleId = stale.Headers.Location!.ToString().Split('/').Last();
        r.Server.Storage.GetUpload("gc/up", staleId)!.LastActivity = DateTimeOffset.UtcNow.AddHours(-2);
        var result = await r.Server.CollectGarbageAsync(Ct);
        Assert.Equal(1, result.UploadsDeleted);
        using var s1 = await r.Client.GetAsync(stale.Headers.Location, Ct);
        Assert.Equal(HttpStatusCode.NotFound, s1.StatusCode);
        using var s2 = await r.Client.GetAsync(fresh.Headers.Location, Ct);
        Assert.Equal(HttpStatusCode.NoContent, s2.StatusCode);
    }

    [Fact]
    public async Task Gc_running_while_images_are_pushed_never_breaks_a_push()
    {
        await using var r = await TestRegistry.StartAsync(o => o with { GcGrace = TimeSpan.Zero });
        using var stop = new CancellationTokenSource();
        var gc = Task.Run(async () =>
        {
            var runs = 0;
            while (!stop.IsCancellationRequested || runs < 3)
            {
                await r.Server.CollectGarbageAsync(Ct);
                runs++;
            }
        }, Ct);

        // With zero grace, GC may collect a blob before its manifest arrives: then the manifest PUT must say so
        // (MANIFEST_BLOB_UNKNOWN) rather than store a manifest whose blobs are gone. Every stored manifest stays whole.
        var stored = new List<(string Tag, byte[] Manifest)>();
        for (var i = 0; i < 15; i++)
        {
            var config = TestRegistry.RandomBytes(50);
            var layer = TestRegistry.RandomBytes(2000);
            var c = await r.PushBlobAsync("gc/race", config);
            var l = await r.PushBlobAsync("gc/race", layer);
            var manifest = TestRegistry.ImageManifest(c, config.Length, [(l, layer.Length)]);
            using var put = await r.PutManifestRawAsync("gc/race", $"t{i}", manifest, MediaTypes.OciManifest);
            if (put.StatusCode == HttpStatusCode.Created)
            {
                stored.Add(($"t{i}", manifest));
            }
            else
            {
                Assert.Equal("MANIFEST_BLOB_UNKNOWN", await TestRegistry.ErrorCodeAsync(put));
            }
        }

        await stop.CancelAsync();
        await gc;
        await r.Server.CollectGarbageAsync(Ct);
        foreach (var (tag, manifest) in stored)
        {
            using var m = await r.Client.GetAsync($"/v2/gc/race/manifests/{tag}", Ct);
            Assert.Equal(manifest, await m.Content.ReadAsByteArrayAsync(Ct));
            using var doc = System.Text.Json.JsonDocument.Parse(manifest);
            var layerDigest = doc.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString();
            using var b = await r.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/gc/race/blobs/{layerDigest}"), Ct);
            Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        }
    }
}
