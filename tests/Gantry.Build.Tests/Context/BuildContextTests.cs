// Owns: tests of the build context walk: every entry listed once, sorted, symlinks not followed, .dockerignore applied.
using Gantry.Build.Context;
using Gantry.Dockerfile.Ignore;
using Gantry.TestKit;

namespace Gantry.Build.Tests.Context;

public sealed class BuildContextTests
{
    [Fact]
    public void Walk_lists_every_entry_of_a_wide_deep_tree_once_sorted()
    {
        using var dir = new TempDirectory();
        var expected = new List<string>();
        for (var a = 0; a < 6; a++)
        {
            expected.Add($"d{a}");
            for (var b = 0; b < 4; b++)
            {
                expected.Add($"d{a}/s{b}");
                for (var f = 0; f < 5; f++)
                {
                    dir.WriteFile($"d{a}/s{b}/f{f}.txt", $"{a}{b}{f}");
                    expected.Add($"d{a}/s{b}/f{f}.txt");
                }
            }
        }

        dir.WriteFile("top.txt", "t");
        File.CreateSymbolicLink(dir.Combine("link"), "d0"); // listed as a symlink, not walked into
        expected.AddRange(["top.txt", "link"]);
        expected.Sort(string.CompareOrdinal);

        using var context = BuildContext.FromDirectory(dir.FullPath);
        Assert.Equal(expected, context.Entries.Select(e => e.RelativePath));
        Assert.True(context.Find("link")!.IsSymlink);
        Assert.True(context.Find("d3/s2")!.IsDirectory);
        Assert.Equal(dir.Combine("d5/s3/f4.txt"), context.Find("d5/s3/f4.txt")!.FullPath);
        Assert.Equal(3, context.Find("d5/s3/f4.txt")!.Stat.Size);
    }

    [Theory]
    [InlineData("d1\n**/*.log\n")]
    [InlineData("d1\n**/*.log\n!d1/keep.log\n")]
    public void Walk_applies_dockerignore_with_and_without_exceptions(string ignoreText)
    {
        using var dir = new TempDirectory();
        foreach (var path in new[] { "d0/a.txt", "d0/b.log", "d0/sub/c.log", "d0/sub/d.txt", "d1/keep.log", "d1/x.txt", "e.log", "f.txt" })
        {
            dir.WriteFile(path, path);
        }

        var ignore = DockerIgnore.Parse(ignoreText);
        using var all = BuildContext.FromDirectory(dir.FullPath);
        var context = all.WithExclusions(ignore.IsExcludedUnderIncludedParent, skipExcludedDirs: !ignore.HasExceptions);
        var expected = new List<string> { "d0", "d0/a.txt", "d0/sub", "d0/sub/d.txt", "f.txt" };
        if (ignore.HasExceptions)
        {
            expected.Add("d1/keep.log"); // re-included below an excluded directory, which is walked for it
        }

        expected.Sort(string.CompareOrdinal);
        Assert.Equal(expected, context.Entries.Select(e => e.RelativePath));
    }
}
