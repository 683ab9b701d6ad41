// Owns: tutorial 2's first command, `docker run hello-world`, on an empty store: "Unable to find image … locally", pull, greeting.
using System.Text.RegularExpressions;
using Gantry.TestKit;

namespace Gantry.Acceptance.Tests;

[Collection(TutorialEnvironment.Collection)]
public sealed partial class Tutorial2HelloWorldTests(TutorialEnvironment env)
{
    [Fact]
    public async Task Run_hello_world_on_an_empty_store_pulls_it_and_prints_the_greeting()
    {
        env.Require();
        var cli = env.Cli(env.NewStore("tutorial2-hello"));

        // docker run hello-world
        var first = await cli.TryAsync(null, "run", "hello-world");
        Assert.True(first.ExitCode == 0, $"gantry run hello-world failed: {first}\nmirror log:\n{env.Mirror.Log[^Math.Min(4000, env.Mirror.Log.Length)..]}");
        Assert.Contains("Unable to find image 'hello-world:latest' locally", first.StdErr, StringComparison.Ordinal);
        Assert.Contains(BaseImages.HelloWorldFirstLine, first.StdOut, StringComparison.Ordinal);
        Assert.Contains("This message shows that your installation appears to be working correctly.", first.StdOut, StringComparison.Ordinal);

        // The second time it is local: no pull.
        var second = await cli.OkAsync(null, "run", "--rm", "hello-world");
        Assert.DoesNotContain("Unable to find image", second.Output, StringComparison.Ordinal);
        Assert.Contains(BaseImages.HelloWorldFirstLine, second.StdOut, StringComparison.Ordinal);

        var images = (await cli.OkAsync(null, "images")).StdOut;
        Assert.Matches(HelloWorldRow(), images);
    }

    [GeneratedRegex(@"(?m)^hello-world\s+latest\s+[0-9a-f]{12}\s+")]
    private static partial Regex HelloWorldRow();

    [Fact]
    public async Task Docker_run_hello_world_works_through_alias_docker_equals_gantry()
    {
        env.Require();
        var envVars = env.Environment();
        envVars["GANTRY_ROOT"] = env.NewStore("alias-hello");
        envVars["PATH"] = Path.GetDirectoryName(Path.GetFullPath(GantryCli.Executable)) + ":" + System.Environment.GetEnvironmentVariable("PATH");
        var r = await ProcessRunner.RunAsync("bash", ["-O", "expand_aliases", "-c", "set -e\nalias docker=gantry\ndocker run hello-world\n"], null, envVars, timeout: TimeSpan.FromMinutes(5), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(r.ExitCode == 0, $"docker run hello-world through the alias failed: {r}");
        Assert.Contains("Unable to find image 'hello-world:latest' locally", r.StdErr, StringComparison.Ordinal);
        Assert.Contains(BaseImages.HelloWorldFirstLine, r.StdOut, StringComparison.Ordinal);
    }
}
