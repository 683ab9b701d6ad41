// Owns: both tutorials typed as written, through `alias docker=gantry` in bash, with the gantry under test on PATH.
using Gantry.TestKit;

namespace Gantry.Acceptance.Tests;

[Collection(TutorialEnvironment.Collection)]
public sealed class AliasDockerEqualsGantryTests(TutorialEnvironment env)
{
    [Fact]
    public async Task The_tutorials_docker_commands_run_verbatim_with_alias_docker_equals_gantry()
    {
        env.Require();
        TutorialNpm.Require();
        using var work = new TempDirectory("alias-docker");
        TutorialApps.WriteCronTicker(work.Combine("cron-ticker"));
        TutorialApps.WriteNodeApp(work.Combine("app-netlabs-ocp"));

        // Each tutorial line below is the tutorial's own text; only the alias and the `cd`s are added.
        var script = string.Join('\n',
            "set -euo pipefail",
            "alias docker=gantry",
            "type docker",
            "cd cron-ticker",
            "docker build --tag cron-ticker .",
            "docker image tag cron-ticker isaias0328/cron-ticker:pantera",
            "docker image tag isaias0328/cron-ticker:pantera isaias0328/cron-ticker",
            "cd ../app-netlabs-ocp",
            "docker build -t nodejs-app:v1 .",
            "docker images",
            "echo ALIAS-SCRIPT-DONE",
            "");
        var env2 = env.Environment();
        env2["GANTRY_ROOT"] = env.SharedStore;
        env2["PATH"] = Path.GetDirectoryName(Path.GetFullPath(GantryCli.Executable)) + ":" + System.Environment.GetEnvironmentVariable("PATH");
        var r = await ProcessRunner.RunAsync("bash", ["-O", "expand_aliases", "-c", script], work.FullPath, env2, timeout: TutorialSteps.BuildTimeout, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(r.ExitCode == 0, $"the tutorials through alias docker=gantry failed: {r}");
        Assert.Contains("docker is aliased to `gantry'", r.StdOut, StringComparison.Ordinal);
        Assert.Contains(r.StdOut.Split('\n'), l => l.StartsWith("REPOSITORY", StringComparison.Ordinal));
        Assert.Contains(r.StdOut.Split('\n'), l => l.StartsWith("isaias0328/cron-ticker", StringComparison.Ordinal) && l.Contains(" pantera ", StringComparison.Ordinal));
        Assert.Contains(r.StdOut.Split('\n'), l => l.StartsWith("nodejs-app", StringComparison.Ordinal) && l.Contains(" v1 ", StringComparison.Ordinal));
        Assert.Contains("ALIAS-SCRIPT-DONE", r.StdOut, StringComparison.Ordinal);
    }
}
