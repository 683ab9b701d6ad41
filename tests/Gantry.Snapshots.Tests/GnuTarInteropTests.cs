// Owns: tests that tars made by GNU tar (PAX xattrs, long names, hard links) unpack the same as GNU tar unpacks them.
using Gantry.Snapshots.Native;
using Gantry.TestKit;

namespace Gantry.Snapshots.Tests;

public sealed class GnuTarInteropTests
{
    [Fact]
    public async Task Gnu_tar_archive_with_xattrs_long_names_and_hard_links_round_trips()
    {
        Requires.Root();
        var tar = Requires.Command("tar");
        using var tmp = new TempDirectory("snap-gnu");
        var src = tmp.Combine("src");
        var deep = Path.Combine(src, string.Join('/', Enumerable.Repeat("directory-with-a-long-name", 8)));
        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(deep, "file.txt"), "deep");
        File.WriteAllText(Path.Combine(src, "tool"), "#!/bin/sh\n");
        Assert.Equal(0, Libc.Link(Path.Combine(src, "tool"), Path.Combine(src, "tool-again")));
        Assert.Equal(0, Xattrs.Set(Path.Combine(src, "tool"), "user.greeting", "hello"u8.ToArray()));

        var archive = tmp.Combine("gnu.tar.gz");
        var r = ProcessRunner.Run(tar, ["--xattrs", "--xattrs-include=*", "--format=posix", "-czf", archive, "-C", src, "."]);
        Assert.True(r.ExitCode == 0, r.ToString());

        var outDir = tmp.Combine("out");
        await LayerExtractor.ExtractFileAsync(archive, outDir, new ExtractOptions { Sync = false }, TestContext.Current.CancellationToken);

        TreeSnapshot.AssertSame(src, outDir, withMtime: false);
        Assert.Equal("hello"u8.ToArray(), Xattrs.Get(Path.Combine(outDir, "tool"), "user.greeting"));
        Assert.True(Libc.TryLstat(Path.Combine(outDir, "tool"), out var a, out _));
        Assert.True(Libc.TryLstat(Path.Combine(outDir, "tool-again"), out var b, out _));
        Assert.Equal(a.Ino, b.Ino);
    }
}
