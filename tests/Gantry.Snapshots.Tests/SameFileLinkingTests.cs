// Owns: tests of unpacking with a same-file lookup: vouched files are hard-linked, everything else (and every failed link) is written.
using System.Formats.Tar;
using Gantry.Snapshots.Native;
using Gantry.TestKit;

namespace Gantry.Snapshots.Tests;

public sealed class SameFileLinkingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PaxTarEntry Reg(string name, string content, IEnumerable<KeyValuePair<string, string>>? pax = null)
    {
        var entry = pax is null ? new PaxTarEntry(TarEntryType.RegularFile, name) : new PaxTarEntry(TarEntryType.RegularFile, name, pax);
        entry.DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content));
        entry.Mode = (UnixFileMode)0b110_100_100;
        entry.ModificationTime = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        return entry;
    }

    private static ulong Inode(string path) => Libc.TryLstat(path, out var st, out _) ? st.Ino : 0;

    [Theory]
    [InlineData(null)] // small files linked (or written) by the unpack workers
    [InlineData(0)]    // everything on the extracting thread
    public async Task Vouched_files_are_linked_and_the_rest_written_including_when_the_link_fails(int? workers)
    {
        using var tmp = new TempDirectory("snap-samefile");
        var earlier = tmp.Combine("earlier");
        Directory.CreateDirectory(earlier);
        File.WriteAllText(Path.Combine(earlier, "same.txt"), "same\n");
        var asked = new System.Collections.Concurrent.ConcurrentBag<string>(); // asked from the unpack workers
        var tar = LayerExtractorTests.MakeTar(
            LayerExtractorTests.Dir("app/"),
            Reg("app/same.txt", "same\n"),
            Reg("app/new.txt", "new\n"),
            Reg("app/gone.txt", "gone\n"),
            Reg("app/xattr.txt", "same\n", [new("SCHILY.xattr.user.note", "x")]));

        var options = new ExtractOptions
        {
            Sync = false,
            FileWorkers = workers,
            SameFile = (path, size, mode, uid, gid, sec, nsec) =>
            {
                asked.Add(path);
                Assert.Equal(0b110_100_100, mode);
                Assert.Equal(1_700_000_000, sec);
                return path switch
                {
                    "app/same.txt" or "app/xattr.txt" => Path.Combine(earlier, "same.txt"),
                    "app/gone.txt" => Path.Combine(earlier, "missing.txt"), // the link fails: the entry is written
                    _ => null,
                };
            },
        };
        var result = await LayerExtractor.ExtractAsync(new MemoryStream(tar), tmp.Combine("out"), options, Ct);

        Assert.Equal(Inode(Path.Combine(earlier, "same.txt")), Inode(tmp.Combine("out", "app", "same.txt")));
        Assert.Equal("new\n", File.ReadAllText(tmp.Combine("out", "app", "new.txt")));
        Assert.Equal("gone\n", File.ReadAllText(tmp.Combine("out", "app", "gone.txt")));
        Assert.NotEqual(Inode(Path.Combine(earlier, "same.txt")), Inode(tmp.Combine("out", "app", "xattr.txt")));
        Assert.DoesNotContain("app/xattr.txt", asked); // an entry with xattrs is never offered: a link would not carry them
        Assert.Equal(["app/gone.txt", "app/new.txt", "app/same.txt"], asked.Order(StringComparer.Ordinal));
        Assert.Equal(5, result.Entries);
    }
}
