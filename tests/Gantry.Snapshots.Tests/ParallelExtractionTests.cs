// Owns: tests that unpacking with parallel file workers gives exactly the tree of the one-thread path, and stays confined.
using System.Formats.Tar;
using Gantry.Oci;
using Gantry.Snapshots.Native;
using Gantry.TestKit;
using static Gantry.Snapshots.Tests.LayerExtractorTests;

namespace Gantry.Snapshots.Tests;

public sealed class ParallelExtractionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Many small files in many dirs, a big file (inline path), hard links to buffered files, a file replaced by a later
    /// entry, modes with setuid, setgid, sticky and bits a umask takes away, owners and mtimes.</summary>
    private static byte[] ManyFiles()
    {
        var entries = new List<TarEntry>();
        for (var d = 0; d < 20; d++)
        {
            entries.Add(Dir($"d{d:D2}"));
            for (var f = 0; f < 100; f++)
            {
                entries.Add(new PaxTarEntry(TarEntryType.RegularFile, $"d{d:D2}/f{f:D3}")
                {
                    DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(new string((char)('a' + (f % 26)), f * 37))),
                    Mode = (UnixFileMode)(f % 7 == 0 ? 0b100_111_101_101 : f % 11 == 0 ? 0b111_111_111 : f % 13 == 0 ? 0b110_110_110 : f % 17 == 0 ? 0b010_111_101_101 : f % 19 == 0 ? 0b001_111_111_111 : 0b110_100_100),
                    Uid = f % 3 == 0 ? 1000 : 0,
                    Gid = f % 5 == 0 ? 1001 : 0,
                    ModificationTime = new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(f),
                });
            }
        }

        var big = new byte[(TarApplier.ParallelFileLimit * 2) + 5];
        new Random(3).NextBytes(big);
        entries.Add(new PaxTarEntry(TarEntryType.RegularFile, "big.bin") { DataStream = new MemoryStream(big) });
        entries.Add(new PaxTarEntry(TarEntryType.HardLink, "d00/link") { LinkName = "d00/f050" });
        entries.Add(Reg("d01/f001", "replaced by a later entry"));
        entries.Add(new PaxTarEntry(TarEntryType.SymbolicLink, "d02/f002") { LinkName = "../big.bin" });
        return MakeTar([.. entries]);
    }

    [Fact]
    public async Task Parallel_file_workers_give_the_same_tree_as_one_thread()
    {
        using var tmp = new TempDirectory("snap-par");
        var tar = ManyFiles();
        var serial = tmp.Combine("serial");
        var parallel = tmp.Combine("parallel");
        var r1 = await LayerExtractor.ExtractAsync(new MemoryStream(tar), serial, new ExtractOptions { Sync = false, FileWorkers = 0 }, Ct);
        var r2 = await LayerExtractor.ExtractAsync(new MemoryStream(tar), parallel, new ExtractOptions { Sync = false, FileWorkers = 4 }, Ct);

        Assert.Equal(r1, r2);
        TreeSnapshot.AssertSame(serial, parallel, withMtime: true);
        Assert.Equal("replaced by a later entry", await File.ReadAllTextAsync(Path.Combine(parallel, "d01/f001"), Ct));
        Assert.Equal(new string('x', 50 * 37).Length, new FileInfo(Path.Combine(parallel, "d00/link")).Length);
        foreach (var (name, mode, uid) in new[] { ("f011", 0x1FF, 0), ("f033", 0x1FF, 1000), ("f013", 0x1B6, 0), ("f017", 0x5ED, 0), ("f019", 0x3FF, 0), ("f007", 0x9ED, 0), ("f021", 0x9ED, 1000), ("f001", 0x1A4, 0) })
        {
            Assert.True(Libc.TryLstat(Path.Combine(parallel, "d03", name), out var st, out _));
            Assert.Equal((mode, Libc.IsRoot ? uid : (int)st.Uid), ((int)st.Mode & 0xFFF, (int)st.Uid));
        }
    }

    [Fact]
    public async Task Parallel_workers_still_refuse_a_path_through_a_planted_symlink()
    {
        using var tmp = new TempDirectory("snap-par-escape");
        var outside = tmp.Combine("outside");
        Directory.CreateDirectory(outside);
        var tar = MakeTar(
            Reg("a/one", "1"),
            new PaxTarEntry(TarEntryType.SymbolicLink, "a/esc") { LinkName = outside },
            Reg("a/esc/pwned", "x"));
        var ex = await Assert.ThrowsAsync<GantryException>(() => LayerExtractor.ExtractAsync(new MemoryStream(tar), tmp.Combine("root"), new ExtractOptions { Sync = false, FileWorkers = 4 }, Ct));
        Assert.Contains("a/esc/pwned", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public async Task A_directory_replaced_by_a_symlink_after_its_files_were_queued_cannot_be_used_to_escape()
    {
        using var tmp = new TempDirectory("snap-par-swap");
        var outside = tmp.Combine("outside");
        Directory.CreateDirectory(outside);
        var entries = new List<TarEntry> { Dir("a") };
        for (var i = 0; i < 200; i++)
        {
            entries.Add(Reg($"a/f{i:D3}", "queued"));
        }

        // "a" becomes a symlink to outside: the files queued below it must be finished first (they are removed with the
        // directory), and nothing may land outside afterwards.
        entries.Add(new PaxTarEntry(TarEntryType.SymbolicLink, "a") { LinkName = outside });
        entries.Add(Reg("b", "after"));
        var root = tmp.Combine("root");
        await LayerExtractor.ExtractAsync(new MemoryStream(MakeTar([.. entries])), root, new ExtractOptions { Sync = false, FileWorkers = 4 }, Ct);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Equal(outside, new FileInfo(Path.Combine(root, "a")).LinkTarget);
        Assert.Equal("after", await File.ReadAllTextAsync(Path.Combine(root, "b"), Ct));
    }

    [Fact]
    public async Task A_name_written_twice_in_a_row_keeps_the_later_entry_with_workers()
    {
        using var tmp = new TempDirectory("snap-par-dup");
        var tar = MakeTar(Reg("x", "first"), Reg("x", "second"), Reg("y", "file"), new PaxTarEntry(TarEntryType.SymbolicLink, "y") { LinkName = "x" },
            Reg("z", "file"), Dir("z"), Reg("z/in", "inside"));
        var root = tmp.Combine("root");
        await LayerExtractor.ExtractAsync(new MemoryStream(tar), root, new ExtractOptions { Sync = false, FileWorkers = 4 }, Ct);
        Assert.Equal("second", await File.ReadAllTextAsync(Path.Combine(root, "x"), Ct));
        Assert.Equal("x", new FileInfo(Path.Combine(root, "y")).LinkTarget);
        Assert.Equal("inside", await File.ReadAllTextAsync(Path.Combine(root, "z/in"), Ct));
    }
}
