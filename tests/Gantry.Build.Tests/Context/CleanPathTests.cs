// Owns: tests of path cleaning for context and image paths (BuildContext.CleanRelative, CopyPlanner.JoinImage), fast path included.
using Gantry.Build.Context;
using Gantry.Build.Steps;

namespace Gantry.Build.Tests.Context;

public sealed class CleanPathTests
{
    [Theory]
    [InlineData("", "", false)]
    [InlineData("a", "a", false)]
    [InlineData("a/b/c.txt", "a/b/c.txt", false)]
    [InlineData("/a/b", "a/b", false)]
    [InlineData("a/b/", "a/b", false)]
    [InlineData("a//b", "a/b", false)]
    [InlineData("./a", "a", false)]
    [InlineData("a/.", "a", false)]
    [InlineData("a/./b", "a/b", false)]
    [InlineData(".", "", false)]
    [InlineData("a/..", "", false)]
    [InlineData("a/../..", "", true)]
    [InlineData("..", "", true)]
    [InlineData("..a/b.", "..a/b.", false)]
    [InlineData("a\\b", "a/b", false)]
    [InlineData("...", "...", false)]
    public void Clean_relative_gives_the_clean_form_and_flags_escapes(string path, string clean, bool escapes)
    {
        Assert.Equal(clean, BuildContext.CleanRelative(path, out var e));
        Assert.Equal(escapes, e);
    }

    [Theory]
    [InlineData("/", "a", "/a")]
    [InlineData("", "a", "/a")]
    [InlineData("/app", "src/x.txt", "/app/src/x.txt")]
    [InlineData("/app", "", "/app")]
    [InlineData("/", "", "/")]
    [InlineData("/app/", "x", "/app/x")]
    [InlineData("/app", "../x", "/x")]
    [InlineData("/app", "./x", "/app/x")]
    [InlineData("/app", "/abs/y", "/abs/y")]
    [InlineData("app", "x", "/app/x")]
    [InlineData("/a/../b", "x", "/b/x")]
    public void Join_image_gives_a_clean_absolute_path(string dir, string rel, string joined)
        => Assert.Equal(joined, CopyPlanner.JoinImage(dir, rel));
}
