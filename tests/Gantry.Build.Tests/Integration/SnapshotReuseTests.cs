// Owns: tests that the builder keeps every layer unpacked once in the shared snapshot store (its own layers adopted, never re-unpacked).
using Gantry.Snapshots;

namespace Gantry.Build.Tests.Integration;

public sealed class SnapshotReuseTests
{
    [Fact]
    public async Task Every_layer_of_a_build_is_in_the_shared_snapshot_store_and_equals_its_blob()
    {
        using var h = await BuildHarness.CreateAsync();
        h.Write("app/hello.txt", "hola\n");
        h.Write("app/sub/data.bin", new string('x', 300_000));
        var result = await h.BuildAsync("""
            FROM busybox
            WORKDIR /srv
            COPY app/ ./app/
            RUN echo ran > /srv/ran.txt && rm /srv/app/hello.txt
            COPY app/hello.txt /srv/again.txt
            """);

        var image = await h.ImageAsync(result);
        var store = new SnapshotStore(h.Root, h.Store.Blobs);
        Assert.All(image.Config.RootFs.DiffIds, d => Assert.True(store.HasLayer(d), $"layer {d} should be unpacked in $ROOT/snapshots"));
        Assert.False(Directory.Exists(Path.Combine(h.Root, "build", "layers")), "the builder must not keep a second unpacked-layer store");

        // The COPY layers were unpacked while written, the RUN layer adopted from its upper dir: each must equal its blob.
        for (var i = 1; i < image.Layers.Count; i++)
        {
            var fromBlob = Path.Combine(h.NewRoot(), "check");
            await LayerExtractor.ExtractFileAsync(h.Store.Blobs.BlobPath(image.Layers[i].Digest), fromBlob, new ExtractOptions { Sync = false }, TestContext.Current.CancellationToken);
            Assert.Equal(Describe(fromBlob), Describe(store.LayerPath(image.Config.RootFs.DiffIds[i])));
        }

        // A second build of the same steps on another tag is all cache hits and unpacks nothing new.
        var before = store.ListLayers();
        var again = await h.BuildAsync(File.ReadAllText(Path.Combine(h.Context, "Dockerfile")), o => o with { Tags = ["again:latest"] });
        Assert.Equal(result.ImageId, again.ImageId);
        Assert.Equal(before, store.ListLayers());
    }

    private static List<string> Describe(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p =>
            {
                var info = new FileInfo(p);
                var kind = info.LinkTarget is not null ? "l" : (info.Attributes & FileAttributes.Directory) != 0 ? "d" : "f";
                var size = kind == "f" ? info.Length : 0;
                return $"{Path.GetRelativePath(root, p)} {kind} {(int)File.GetUnixFileMode(p)} {size} {info.LinkTarget}";
            })
            .Order(StringComparer.Ordinal)];
}
