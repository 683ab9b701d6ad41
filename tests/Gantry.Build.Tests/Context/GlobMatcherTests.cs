// Owns: tests of COPY source pattern matching (Go filepath.Match semantics).
using Gantry.Build.Context;

namespace Gantry.Build.Tests.Context;

public sealed class GlobMatcherTests
{
    [Theory]
    [InlineData("*.js", "app.js", true)]
    [InlineData("*.js", "src/app.js", false)]
    [InlineData("src/*.js", "src/app.js", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[^a-c]x", "bx", false)]
    [InlineData("package*.json", "package-lock.json", true)]
    [InlineData("package*.json", "package.json", true)]
    public void Matches_like_filepath_Match(string pattern, string path, bool expected) =>
        Assert.Equal(expected, GlobMatcher.Match(pattern, path));

    [Fact]
    public void Clean_relative_detects_escapes()
    {
        Assert.Equal("a/b", BuildContext.CleanRelative("./a//b/", out var e1));
        Assert.False(e1);
        BuildContext.CleanRelative("../x", out var e2);
        Assert.True(e2);
        Assert.Equal("x", BuildContext.CleanRelative("a/../x", out var e3));
        Assert.False(e3);
    }
}
