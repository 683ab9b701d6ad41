// Owns: tests of .dockerignore parsing and moby/patternmatcher matching, and NAME.dockerignore precedence.
using Gantry.Dockerfile.Ignore;
using Gantry.TestKit;

namespace Gantry.Dockerfile.Tests.Ignore;

public sealed class DockerIgnoreTests
{
    [Theory]
    [InlineData("*.md", "README.md", true)]
    [InlineData("*.md", "docs/README.md", false)]
    [InlineData("*/*.md", "docs/README.md", true)]
    [InlineData("**/*.md", "a/b/c/README.md", true)]
    [InlineData("**/*.md", "README.md", true)]
    [InlineData("**/node_modules", "node_modules", true)]
    [InlineData("**/node_modules", "x/node_modules/y/z.js", true)]
    [InlineData("node_modules", "node_modules/a/b.js", true)]
    [InlineData("node_modules/", "node_modules/a", true)]
    [InlineData("/node_modules", "node_modules", true)]
    [InlineData("./build", "build/out.o", true)]
    [InlineData("build", "src/build", false)]
    [InlineData("temp?", "temp1", true)]
    [InlineData("temp?", "tempa/1", true)]
    [InlineData("temp?", "temp12", false)]
    [InlineData("logs/**", "logs/a/b.log", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("[a-c].txt", "b.txt", true)]
    [InlineData("[a-c].txt", "d.txt", false)]
    [InlineData("\\*.txt", "*.txt", true)]
    [InlineData("\\*.txt", "a.txt", false)]
    [InlineData("a.b", "axb", false)]
    [InlineData("#comment", "#comment", false)]
    [InlineData("**/*.log", "src/d00/debug.log", true)]
    [InlineData("**/*.log", "src/d00/f00000.txt", false)]
    [InlineData("**/*.log", "debug.log/inner.txt", true)]
    [InlineData("a/**/b.txt", "a/b.txt", true)]
    [InlineData("a/**/b.txt", "a/x/b.txt", true)]
    [InlineData("a/**/b.txt", "ab.txt", false)]
    [InlineData("\\**/x", "*/x", true)]
    [InlineData("x\\?y*", "x?yz", true)]
    [InlineData("x\\?y*", "xzyz", false)]
    [InlineData("[]a]b", "]b", true)]
    public void Single_pattern(string pattern, string path, bool excluded) =>
        Assert.Equal(excluded, DockerIgnore.Parse(pattern).IsExcluded(path));

    [Fact]
    public void Testing_only_the_path_itself_agrees_with_the_full_rule_under_an_included_parent()
    {
        // What the context walk relies on: without '!' patterns, a path whose parents are all included is excluded
        // exactly when the full rule (path or any parent) says so.
        string[] patterns = ["**/*.log", "scratch/", "*.md", "*/*.tmp", "a/**/b", "temp?", "logs/**", "[a-c].txt", "\\*.txt", "x/y", "**/node_modules"];
        string[] paths =
        [
            "a", "a/b", "a/x/y/b", "a/c.log", "debug.log", "src/d00/f1.txt", "src/d00/e.log", "scratch", "scratch/x", "README.md",
            "docs/README.md", "d/e.tmp", "d/e/f.tmp", "temp1", "tempa", "logs", "logs/a", "b.txt", "d.txt", "*.txt", "x", "x/y", "x/y/z",
            "node_modules", "p/node_modules", "p/q", "q.log/r",
        ];
        foreach (var pattern in patterns)
        {
            var ig = DockerIgnore.Parse(pattern);
            foreach (var path in paths)
            {
                var parentsIncluded = true;
                for (var slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
                {
                    parentsIncluded &= !ig.IsExcluded(path[..slash]);
                }

                if (parentsIncluded)
                {
                    Assert.True(ig.IsExcluded(path) == ig.IsExcludedUnderIncludedParent(path), $"pattern '{pattern}', path '{path}'");
                }
            }
        }

        var withException = DockerIgnore.Parse("docs\n!docs/keep.md");
        Assert.False(withException.IsExcludedUnderIncludedParent("docs/keep.md"));
        Assert.True(withException.IsExcludedUnderIncludedParent("docs/other.md")); // with exceptions it is the full rule
    }

    [Fact]
    public void Exceptions_apply_in_order_and_last_match_wins()
    {
        var ig = DockerIgnore.Parse("# comment\n*.md\n!README.md\n  \nREADME-secret.md\n!docs/\ndocs/private\n");
        Assert.True(ig.IsExcluded("CHANGES.md"));
        Assert.False(ig.IsExcluded("README.md"));
        Assert.True(ig.IsExcluded("README-secret.md"));
        Assert.False(ig.IsExcluded("app.js"));
        Assert.True(ig.IsExcluded("docs/private/x"));
        Assert.True(ig.HasExceptions);
        Assert.Equal(5, ig.Patterns.Count);
        Assert.Equal(3, ig.Patterns[1].Line);
    }

    [Fact]
    public void Reincluding_a_file_inside_an_excluded_directory()
    {
        var ig = DockerIgnore.Parse("node_modules\n!node_modules/keep.js");
        Assert.True(ig.IsExcluded("node_modules/x.js"));
        Assert.False(ig.IsExcluded("node_modules/keep.js"));
    }

    [Fact]
    public void Everything_but()
    {
        var ig = DockerIgnore.Parse("*\n!src\n!package.json");
        Assert.True(ig.IsExcluded("Dockerfile"));
        Assert.False(ig.IsExcluded("src/app/main.js"));
        Assert.False(ig.IsExcluded("package.json"));
    }

    [Fact]
    public void Paths_are_cleaned()
    {
        var ig = DockerIgnore.Parse("a/../b\n");
        Assert.Equal("b", ig.Patterns[0].Pattern);
        Assert.True(ig.IsExcluded("./b/c"));
    }

    [Fact]
    public void Per_dockerfile_ignore_file_takes_precedence()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.FullPath, ".dockerignore"), "*.log\n");
        Directory.CreateDirectory(Path.Combine(dir.FullPath, "build"));
        File.WriteAllText(Path.Combine(dir.FullPath, "build", "app.Dockerfile"), "FROM a\n");
        File.WriteAllText(Path.Combine(dir.FullPath, "build", "app.Dockerfile.dockerignore"), "*.tmp\n");

        var specific = DockerIgnore.Load(dir.FullPath, "build/app.Dockerfile");
        Assert.True(specific.IsExcluded("x.tmp"));
        Assert.False(specific.IsExcluded("x.log"));

        var general = DockerIgnore.Load(dir.FullPath, "Dockerfile");
        Assert.True(general.IsExcluded("x.log"));
        Assert.Equal(Path.Combine(dir.FullPath, ".dockerignore"), general.SourcePath);

        using var empty = new TempDirectory();
        Assert.Same(DockerIgnore.Empty, DockerIgnore.Load(empty.FullPath, null));
    }
}
