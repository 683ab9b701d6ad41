// Owns: tests of image config assembly (env replacement, base config carried over) and docker-style history text.
using Gantry.Build.Config;
using Gantry.Oci;

namespace Gantry.Build.Tests.Config;

public sealed class ImageStateTests
{
    [Fact]
    public void Env_replaces_by_key_and_keeps_order()
    {
        var state = new ImageState();
        state.SetEnv("A", "1");
        state.SetEnv("B", "2");
        state.SetEnv("A", "3");
        Assert.Equal(["A=3", "B=2"], state.EnvList());
    }

    [Fact]
    public void Base_config_is_carried_over_without_onbuild()
    {
        var config = new ImageConfig
        {
            Config = new ContainerConfig { Env = ["PATH=/bin"], Cmd = ["sh"], OnBuild = ["RUN echo hi"], WorkingDir = "/w" },
        };
        var state = ImageState.FromBase(config, []);
        var result = state.ToConfig(DateTimeOffset.UnixEpoch).Config!;
        Assert.Equal(["PATH=/bin"], result.Env);
        Assert.Equal(["sh"], result.Cmd);
        Assert.Equal("/w", result.WorkingDir);
        Assert.Null(result.OnBuild);
        Assert.Equal(["RUN echo hi"], ImageState.BaseTriggers(config));
    }

    [Fact]
    public void History_text_matches_buildkit()
    {
        Assert.Equal("RUN /bin/sh -c npm install # buildkit", HistoryText.Run(["/bin/sh", "-c", "npm install"], false, []));
        Assert.Equal("RUN |1 V=2 /bin/sh -c echo $V # buildkit", HistoryText.Run(["/bin/sh", "-c", "echo $V"], false, [new("V", "2")]));
        Assert.Equal("CMD [\"node\" \"app.js\"]", HistoryText.List("CMD", ["node", "app.js"]));
        Assert.Equal("EXPOSE map[8080/tcp:{}]", HistoryText.GoSet("EXPOSE", ["8080/tcp"]));
    }
}
