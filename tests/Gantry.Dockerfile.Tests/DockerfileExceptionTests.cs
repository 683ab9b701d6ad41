// Owns: tests of DockerfileException's message, location and BuildKit-style display.
using Gantry.Dockerfile.Syntax;

namespace Gantry.Dockerfile.Tests;

public sealed class DockerfileExceptionTests
{
    [Fact]
    public void Message_has_file_and_line_and_display_shows_the_lines()
    {
        var ex = new DockerfileException("Dockerfile", 3, 4, "bad thing", ["RUN a \\", "  b"]);
        Assert.Equal("Dockerfile:3: bad thing", ex.Message);
        Assert.Equal("bad thing", ex.Detail);
        Assert.Equal("Dockerfile:3: bad thing\n --------------------\n    3 | >>> RUN a \\\n    4 | >>>   b\n --------------------", ex.ToDisplayString());
    }

    [Fact]
    public void Unlocated_errors_can_be_located_later()
    {
        var ex = new DockerfileException("", 0, 0, "oops");
        Assert.Equal("oops", ex.Message);
        var located = ex.At("x.Dockerfile", new SourceRange(2, 2), ["FROM a", "RUN b"]);
        Assert.Equal("x.Dockerfile:2: oops", located.Message);
        Assert.Equal(["RUN b"], located.SourceLines);
    }

    [Fact]
    public void Parser_errors_carry_the_offending_lines()
    {
        var ex = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM a\nCMD [\"a\", \\\n  1]\n", "Dockerfile"));
        Assert.Equal(2, ex.StartLine);
        Assert.Equal(3, ex.EndLine);
        Assert.Equal(["CMD [\"a\", \\", "  1]"], ex.SourceLines);
    }
}
