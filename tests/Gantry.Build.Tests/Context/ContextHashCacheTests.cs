// Owns: tests of the stat-keyed context hash cache (hits without re-reading, misses on change, persistence).
using System.Security.Cryptography;
using Gantry.Build.Context;
using Gantry.Build.Native;
using Gantry.TestKit;

namespace Gantry.Build.Tests.Context;

public sealed class ContextHashCacheTests
{
    [Fact]
    public async Task Unchanged_file_is_not_rehashed_after_reload_and_changed_file_is()
    {
        using var dir = new TempDirectory();
        var file = dir.WriteFile("a.txt", "hello");
        var cache = ContextHashCache.Load(dir.Combine("build"));
        var first = cache.GetHash(file, FileStatReader.Lstat(file));
        Assert.Equal(SHA256.HashData("hello"u8), first);
        Assert.Equal(1, cache.FilesHashed);
        await cache.SaveAsync(TestContext.Current.CancellationToken);

        var reloaded = ContextHashCache.Load(dir.Combine("build"));
        Assert.Equal(first, reloaded.GetHash(file, FileStatReader.Lstat(file)));
        Assert.Equal(0, reloaded.FilesHashed);

        File.WriteAllText(file, "hello, world");
        Assert.Equal(SHA256.HashData("hello, world"u8), reloaded.GetHash(file, FileStatReader.Lstat(file)));
        Assert.Equal(1, reloaded.FilesHashed);
    }

    [Fact]
    public async Task Each_context_directory_has_its_own_cache_file()
    {
        using var dir = new TempDirectory();
        var a = dir.WriteFile("ctx-a/a.txt", "a");
        var b = dir.WriteFile("ctx-b/b.txt", "b");
        var build = dir.Combine("build");
        var cacheA = ContextHashCache.Load(build, dir.Combine("ctx-a"));
        cacheA.GetHash(a, FileStatReader.Lstat(a));
        await cacheA.SaveAsync(TestContext.Current.CancellationToken);
        var cacheB = ContextHashCache.Load(build, dir.Combine("ctx-b"));
        cacheB.GetHash(b, FileStatReader.Lstat(b));
        await cacheB.SaveAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, Directory.GetFiles(Path.Combine(build, "context-hashes")).Length);
        var againA = ContextHashCache.Load(build, dir.Combine("ctx-a"));
        againA.GetHash(a, FileStatReader.Lstat(a));
        Assert.Equal(0, againA.FilesHashed); // a hit, from ctx-a's own file
        againA.GetHash(b, FileStatReader.Lstat(b));
        Assert.Equal(1, againA.FilesHashed); // ctx-b's entries are not in ctx-a's file
    }

    [Fact]
    public void Corrupt_cache_file_gives_an_empty_cache()
    {
        using var dir = new TempDirectory();
        dir.WriteFile("build/context-hashes.bin", "garbage that is not a cache");
        var file = dir.WriteFile("a.txt", "x");
        var cache = ContextHashCache.Load(dir.Combine("build"));
        Assert.Equal(SHA256.HashData("x"u8), cache.GetHash(file, FileStatReader.Lstat(file)));
    }

    [Fact]
    public void Statx_reports_type_size_and_inode()
    {
        using var dir = new TempDirectory();
        var file = dir.WriteFile("f", "12345");
        var stat = FileStatReader.Lstat(file);
        Assert.True(stat.IsRegular);
        Assert.Equal(5, stat.Size);
        Assert.NotEqual(0UL, stat.Inode);
        Assert.True(FileStatReader.Lstat(dir.FullPath).IsDirectory);
        Assert.Null(FileStatReader.TryLstat(dir.Combine("missing")));
    }
}
