// Owns: `gantry build` end to end through the CLI: plain progress, CACHED rebuilds, -q/--iidfile, tags, run of the result, errors.
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Build;

public sealed class BuildCliTests : IDisposable
{
    private readonly TempDirectory _temp = new("gantry-build-cli");
    private GantryCli? _cli;

    private GantryCli Cli => _cli!;

    private string Context => _temp.Combine("ctx");

    private void Setup()
    {
        Requires.Root();
        Assert.SkipWhen(Requires.Which("crun") is null && Requires.Which("runc") is null, "needs crun or runc on PATH (apt-get install crun runc)");
        var busybox = BusyboxRootfs.Get();
        _cli = new GantryCli(_temp.Combine("root"));
        Cli.Ok("import", busybox.Tar, "busybox:latest");
        Directory.CreateDirectory(Context);
        _temp.WriteFile("ctx/greeting.txt", "Hola desde Gantry\n");
        _temp.WriteFile("ctx/.dockerignore", "*.md\n");
        _temp.WriteFile("ctx/README.md", "ignored");
        _temp.WriteFile("ctx/Dockerfile", """
            FROM busybox
            WORKDIR /app
            COPY greeting.txt ./
            RUN echo "built by gantry" > build-info.txt
            EXPOSE 8080
            CMD ["sh", "-c", "cat /app/greeting.txt /app/build-info.txt; ls /app"]
            """);
    }

    private ProcessResult Build(params string[] args) => Cli.Run(["build", "--progress", "plain", .. args], null, null, TimeSpan.FromMinutes(5));

    [Fact]
    public void Build_prints_docker_plain_progress_then_a_rebuild_is_fully_cached_and_the_image_runs()
    {
        Setup();
        var first = Build("-t", "hello-gantry", Context);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("#1 [1/4] FROM busybox", first.StdErr, StringComparison.Ordinal);
        Assert.Contains("[4/4] RUN echo \"built by gantry\" > build-info.txt", first.StdErr, StringComparison.Ordinal);
        Assert.Matches(@"#\d+ DONE \d+\.\d+s", first.StdErr);
        Assert.Contains("naming to docker.io/library/hello-gantry:latest", first.StdErr, StringComparison.Ordinal);

        var second = Build("-t", "hello-gantry", Context);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(3, second.StdErr.Split('\n').Count(l => l.EndsWith(" CACHED", StringComparison.Ordinal)));

        var images = Cli.Ok("images");
        Assert.Contains("hello-gantry", images, StringComparison.Ordinal);

        var run = Cli.Run(["run", "--rm", "hello-gantry"], null, null, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Hola desde Gantry", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("built by gantry", run.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("README.md", run.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Quiet_prints_only_the_image_id_and_iidfile_gets_it_too()
    {
        Setup();
        var iid = _temp.Combine("iid");
        var result = Cli.Run(["build", "-q", "--iidfile", iid, "-t", "a:1", "-t", "b:2", Context], null, null, TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, result.ToString());
        var id = result.StdOut.Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", id);
        Assert.Equal(id, File.ReadAllText(iid));
        Assert.Equal(string.Empty, result.StdErr.Trim());
        Assert.Contains(id["sha256:".Length..][..12], Cli.Ok("images"), StringComparison.Ordinal);
    }

    [Fact]
    public void Context_and_dockerfile_can_come_from_stdin_and_f()
    {
        Setup();
        var tar = _temp.Combine("ctx.tar");
        Assert.Equal(0, ProcessRunner.Run("tar", ["-C", Context, "-cf", tar, "."]).ExitCode);
        var fromTar = ProcessRunner.Run("sh", ["-c", $"'{GantryCli.Executable}' build -q -t fromtar - < '{tar}'"], null, Cli.Environment);
        Assert.True(fromTar.ExitCode == 0, fromTar.ToString());

        var other = _temp.WriteFile("other.Dockerfile", "FROM busybox\nCOPY greeting.txt /g\n");
        var withF = Cli.Run(["build", "-q", "-f", other, "-t", "withf", Context], null, null, TimeSpan.FromMinutes(5));
        Assert.True(withF.ExitCode == 0, withF.ToString());

        var stdinFile = Cli.Run(["build", "-q", "-f", "-", "-t", "stdinfile", Context], null, "FROM busybox\nRUN true\n", TimeSpan.FromMinutes(5));
        Assert.True(stdinFile.ExitCode == 0, stdinFile.ToString());
    }

    [Fact]
    public void Failing_run_exits_non_zero_with_the_command_output_and_code_and_tags_nothing()
    {
        Setup();
        _temp.WriteFile("ctx/Dockerfile", "FROM busybox\nRUN echo broken-step && exit 7\n");
        var result = Build("-t", "broken", Context);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Error:", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("exit code 7", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("broken-step", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("broken", Cli.Ok("images"), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_source_and_trailing_comment_on_from_are_clear_errors()
    {
        Setup();
        _temp.WriteFile("ctx/Dockerfile", "FROM busybox\nCOPY nope .\n");
        var missing = Build(Context);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("nope", missing.StdErr, StringComparison.Ordinal);
        Assert.Contains("Dockerfile:2", missing.StdErr, StringComparison.Ordinal);

        _temp.WriteFile("ctx/Dockerfile", "FROM busybox //punto de partida\n");
        var comment = Build(Context);
        Assert.NotEqual(0, comment.ExitCode);
        Assert.Contains("Dockerfile:1", comment.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Builder_prune_empties_the_build_cache()
    {
        Setup();
        Assert.Equal(0, Build("-t", "x", Context).ExitCode);
        var prune = Cli.Ok("builder", "prune", "-f");
        Assert.Contains("Total reclaimed space", prune, StringComparison.Ordinal);
        var rebuilt = Build("-t", "x", Context);
        Assert.Equal(0, rebuilt.ExitCode);
        Assert.DoesNotContain(" CACHED", rebuilt.StdErr, StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();
}
