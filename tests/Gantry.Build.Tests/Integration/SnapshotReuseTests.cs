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

    [Fact]
    public async Task A_copy_rebuilt_after_an_edit_links_the_unchanged_files_of_its_previous_layer_and_writes_the_rest()
    {
        using var h = await BuildHarness.CreateAsync();
        for (var i = 0; i < 12; i++)
        {
            h.Write($"src/d{i % 3}/f{i}.txt", $"file {i}\n" + new string((char)('a' + i), 100 * i));
        }

        const string Dockerfile = "FROM scratch\nCOPY src/ /app/src/\n";
        var first = await h.ImageAsync(await h.BuildAsync(Dockerfile));
        var store = new SnapshotStore(h.Root, h.Store.Blobs);
        var before = store.LayerPath(first.Config.RootFs.DiffIds[^1]);

        h.Write("src/d1/f4.txt", "edited\n");                                                   // new content
        File.SetUnixFileMode(Path.Combine(h.Context, "src/d2/f5.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite); // same bytes, new mode
        File.SetLastWriteTimeUtc(Path.Combine(before, "app/src/d0/f6.txt"), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc)); // the old layer's copy touched: its ctime moved
        var second = await h.ImageAsync(await h.BuildAsync(Dockerfile));
        var after = store.LayerPath(second.Config.RootFs.DiffIds[^1]);
        Assert.NotEqual(before, after);

        static ulong Inode(string dir, string rel) => Native.FileStatReader.TryLstat(Path.Combine(dir, rel))!.Value.Inode;
        foreach (var rel in new[] { "app/src/d0/f0.txt", "app/src/d1/f1.txt", "app/src/d2/f11.txt", "app/src/d0/f3.txt" })
        {
            Assert.True(Inode(before, rel) == Inode(after, rel), $"{rel} did not change and should be a link to the previous layer's file");
        }

        foreach (var rel in new[] { "app/src/d1/f4.txt", "app/src/d2/f5.txt", "app/src/d0/f6.txt" })
        {
            Assert.True(Inode(before, rel) != Inode(after, rel), $"{rel} changed (content, mode, or its old copy) and must be written anew");
        }

        // The new layer's directory is exactly its blob, and the blob is what a fresh store builds from the same context.
        var fromBlob = Path.Combine(h.NewRoot(), "check");
        await LayerExtractor.ExtractFileAsync(h.Store.Blobs.BlobPath(second.Layers[^1].Digest), fromBlob, new ExtractOptions { Sync = false }, TestContext.Current.CancellationToken);
        Assert.Equal(DescribeWithContent(fromBlob), DescribeWithContent(after));
        Assert.Equal("edited\n", File.ReadAllText(Path.Combine(after, "app/src/d1/f4.txt")));
        var fresh = h.NewRoot();
        var clean = await h.ImageAsync(await h.BuildAsync(Dockerfile, root: fresh), fresh);
        Assert.Equal(clean.Layers[^1].Digest, second.Layers[^1].Digest);
    }

    private static List<string> DescribeWithContent(string root) =>
        [.. Describe(root).Select(line =>
        {
            var path = Path.Combine(root, line[..line.IndexOf(' ', StringComparison.Ordinal)]);
            var info = new FileInfo(path);
            var isFile = info.LinkTarget is null && (info.Attributes & FileAttributes.Directory) == 0;
            var mtime = isFile ? File.GetLastWriteTimeUtc(path).Ticks : 0;
            return isFile ? $"{line} {mtime} {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)))}" : line;
        })];

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
