// Owns: tests that unpacking with parallel file workers gives exactly the tree of the one-thread path, and stays confined.
using System.Formats.Tar;
using Gantry.Oci;
using Gantry.TestKit;
using static Gantry.Snapshots.Tests.LayerExtractorTests;

namespace Gantry.Snapshots.Tests;

public sealed class ParallelExtractionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Many small files in many dirs, a big file (inline path), hard links to buffered files, a file replaced by a later
    /// entry, modes with setuid, owners and mtimes.</summary>
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
                    Mode = (UnixFileMode)(f % 7 == 0 ? 0b100_111_101_101 : 0b110_100_100),
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
}
