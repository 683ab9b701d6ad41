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
