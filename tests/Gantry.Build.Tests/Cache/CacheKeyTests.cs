// Owns: tests of cache-key chaining and the on-disk step cache index.
using Gantry.Build.Cache;
using Gantry.Oci;
using Gantry.TestKit;

namespace Gantry.Build.Tests.Cache;

public sealed class CacheKeyTests
{
    [Fact]
    public void Keys_chain_and_parts_do_not_collide()
    {
        var root = CacheKey.ForBase("sha256:abc");
        Assert.Equal(CacheKey.Compute(root, "RUN", "a"), CacheKey.Compute(root, "RUN", "a"));
        Assert.NotEqual(CacheKey.Compute(root, "RUN", "ab"), CacheKey.Compute(root, "RUNa", "b"));
        Assert.NotEqual(CacheKey.Compute(root, "RUN", "a"), CacheKey.Compute(CacheKey.ForBase("other"), "RUN", "a"));
    }

    [Fact]
    public async Task Index_entry_is_ignored_when_its_blob_is_gone()
    {
        using var dir = new TempDirectory();
        var index = new BuildCacheIndex(dir.FullPath);
        var key = CacheKey.ForBase("x");
        var blob = Digest.Compute("layer"u8);
        await index.PutAsync(key, new StepCacheEntry { Layer = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = blob, Size = 5 }, DiffId = blob.ToString() }, TestContext.Current.CancellationToken);
        Assert.Null(await index.TryGetAsync(key, new Blobs(false), TestContext.Current.CancellationToken));
        Assert.NotNull(await index.TryGetAsync(key, new Blobs(true), TestContext.Current.CancellationToken));
        var empty = CacheKey.ForBase("y");
        await index.PutAsync(empty, new StepCacheEntry(), TestContext.Current.CancellationToken);
        Assert.True((await index.TryGetAsync(empty, new Blobs(false), TestContext.Current.CancellationToken))!.IsEmpty);
        Assert.Equal(2, index.Prune());
    }

    private sealed class Blobs(bool exists) : IBlobReader
    {
        public ValueTask<bool> ExistsAsync(Digest digest, CancellationToken cancellationToken = default) => ValueTask.FromResult(exists);

        public ValueTask<long?> GetSizeAsync(Digest digest, CancellationToken cancellationToken = default) => ValueTask.FromResult<long?>(null);

        public ValueTask<Stream> OpenReadAsync(Digest digest, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
