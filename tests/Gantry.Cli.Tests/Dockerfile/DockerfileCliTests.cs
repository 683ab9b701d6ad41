// Owns: `gantry dockerfile ast|check` through the CLI: BuildKit's dump format, findings with lines, exit codes.
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Dockerfile;

public sealed class DockerfileCliTests : IDisposable
{
    private readonly TempDirectory _temp = new("gantry-dockerfile-cli");

    private GantryCli Cli => new(_temp.Combine("root"));

    [Fact]
    public void Ast_prints_buildkits_dump_format()
    {
        var file = _temp.WriteFile("Dockerfile", "FROM busybox\nCOPY --chown=me foo /tmp/\nCMD [\"node\", \"app.js\"]\n");
        var result = Cli.Run("dockerfile", "ast", file);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("(from \"busybox\")\n(copy [\"--chown=me\"] \"foo\" \"/tmp/\")\n(cmd \"node\" \"app.js\")\n", result.StdOut.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public void Ast_reads_standard_input()
    {
        var result = Cli.Run(["dockerfile", "ast", "-"], null, "FROM scratch\nENV A=1\n");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("(from \"scratch\")", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("(env \"A\" \"1\" \"=\")", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Tutorials_slash_comment_is_an_error_with_its_line_and_the_fix()
    {
        var file = _temp.WriteFile("Dockerfile", "FROM node:19.2-alpine3.16 //punto de partida\nWORKDIR /app\n");
        var result = Cli.Run("dockerfile", "check", file);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(":1", result.Output, StringComparison.Ordinal);
        Assert.Contains("FROM takes one image", result.Output, StringComparison.Ordinal);
        Assert.Contains("`//` is not a comment", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_warns_with_line_numbers_and_exits_zero_on_warnings_only()
    {
        var file = _temp.WriteFile("Dockerfile", "FROM busybox as base\nMAINTAINER me\nCMD echo hi\n");
        var result = Cli.Run("dockerfile", "check", file);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("FromAsCasing", result.Output, StringComparison.Ordinal);
        Assert.Contains("MaintainerDeprecated", result.Output, StringComparison.Ordinal);
        Assert.Contains("JSONArgsRecommended", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_instruction_fails_the_check_naming_the_line()
    {
        var file = _temp.WriteFile("Dockerfile", "FROM busybox\nRUNN echo hi\n");
        var result = Cli.Run("dockerfile", "check", file);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(":2", result.Output, StringComparison.Ordinal);
        Assert.Contains("unknown instruction: RUNN (did you mean RUN?)", result.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();
}
