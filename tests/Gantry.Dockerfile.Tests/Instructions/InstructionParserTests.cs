// Owns: tests of the typed instructions: stages, meta ARGs, flags, mounts, healthcheck, onbuild, errors, expansion.
using Gantry.Dockerfile.Instructions;
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Tests.Instructions;

public sealed class InstructionParserTests
{
    [Fact]
    public void Stages_meta_args_and_names()
    {
        var m = DockerfileModel.Parse("ARG BASE=alpine\nFROM $BASE AS Build\nRUN make\nFROM scratch\nCOPY --from=build /out /\n");
        var meta = Assert.Single(m.MetaArgs);
        Assert.Equal(new ArgDefinition("BASE", "alpine"), meta.Args[0]);
        Assert.Equal(2, m.Stages.Count);
        Assert.Equal("build", m.Stages[0].Name);
        Assert.Equal("Build", m.Stages[0].From.StageNameAsWritten);
        Assert.Equal("$BASE", m.Stages[0].BaseName);
        Assert.Null(m.Stages[1].Name);
        Assert.Same(m.Stages[0], m.FindStage("BUILD"));
        Assert.Same(m.Stages[1], m.FindStage("1"));
        var copy = Assert.IsType<CopyInstruction>(Assert.Single(m.Stages[1].Instructions));
        Assert.Equal("build", copy.From);
        Assert.Equal(["/out"], copy.Sources);
        Assert.Equal("/", copy.Destination);
        Assert.Equal(new SourceRange(2, 3), m.Stages[0].Range);
    }

    [Fact]
    public void Tutorial_from_with_slash_comment_explains_itself()
    {
        var ex = Assert.Throws<DockerfileException>(() => DockerfileModel.Parse("FROM node:19.2-alpine3.16 //punto de partida\nWORKDIR /app\n"));
        Assert.Equal(1, ex.StartLine);
        Assert.StartsWith("Dockerfile:1: FROM takes one image, optionally followed by AS name", ex.Message, StringComparison.Ordinal);
        Assert.Contains("`//` is not a comment in a Dockerfile (`#` is, at the start of a line)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["FROM node:19.2-alpine3.16 //punto de partida"], ex.SourceLines);
        Assert.Contains("   1 | >>> FROM node:19.2-alpine3.16 //punto de partida", ex.ToDisplayString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FROM a b", "FROM takes one image")]
    [InlineData("FROM", "FROM requires an image")]
    [InlineData("FROM a AS 1x", "invalid name for build stage")]
    [InlineData("FROM --platfrom=linux/amd64 a", "unknown flag: --platfrom")]
    [InlineData("FROM a\nRUN", "RUN requires at least one argument")]
    [InlineData("FROM a\nRUN --mount=type=cache echo", "target is required")]
    [InlineData("FROM a\nRUN --mount=type=nfs,target=/x echo", "unsupported mount type")]
    [InlineData("FROM a\nRUN --mount=type=cache,target=/x,bogus=1 echo", "unexpected key 'bogus'")]
    [InlineData("FROM a\nRUN --network=bridge echo", "unsupported --network=bridge")]
    [InlineData("FROM a\nRUN --mount echo", "missing a value on flag --mount")]
    [InlineData("FROM a\nCOPY a", "COPY requires at least two arguments")]
    [InlineData("FROM a\nCOPY --link=maybe a b", "expecting boolean value for flag --link")]
    [InlineData("FROM a\nCOPY --from=x --from=y a b", "duplicate flag specified: --from")]
    [InlineData("FROM a\nADD --from=x a b", "unknown flag: --from (ADD accepts")]
    [InlineData("FROM a\nWORKDIR --x=1 /a", "unknown flag: --x (WORKDIR takes no flags)")]
    [InlineData("FROM a\nEXPOSE", "EXPOSE requires at least one argument")]
    [InlineData("FROM a\nUSER", "USER requires exactly one argument")]
    [InlineData("FROM a\nSHELL /bin/sh -c", "SHELL requires the arguments to be in JSON form")]
    [InlineData("FROM a\nHEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD")]
    [InlineData("FROM a\nHEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments")]
    [InlineData("FROM a\nHEALTHCHECK TEST x", "Unknown type \"TEST\" in HEALTHCHECK")]
    [InlineData("FROM a\nHEALTHCHECK --interval=abc CMD x", "invalid --interval=abc")]
    [InlineData("FROM a\nHEALTHCHECK --retries=-1 CMD x", "--retries cannot be negative")]
    [InlineData("FROM a\nONBUILD ONBUILD RUN x", "Chaining ONBUILD")]
    [InlineData("FROM a\nONBUILD FROM b", "FROM isn't allowed as an ONBUILD trigger")]
    [InlineData("FROM a\nRUNN echo", "unknown instruction: RUNN (did you mean RUN?)")]
    [InlineData("RUN echo", "no build stage in current context")]
    [InlineData("FROM a AS x\nFROM b AS X", "duplicate stage name \"x\"")]
    [InlineData("FROM a\nVOLUME [\"\"]", "VOLUME specified can not be an empty string")]
    [InlineData("FROM a\nARG =x", "ARG names can not be blank")]
    public void Invalid_instructions_fail_with_their_line(string text, string message)
    {
        var ex = Assert.Throws<DockerfileException>(() => DockerfileModel.Parse(text));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Equal(text.Split('\n').Length, ex.StartLine);
        Assert.NotEmpty(ex.SourceLines);
    }

    [Fact]
    public void Run_flags_and_mounts_with_defaults()
    {
        var m = DockerfileModel.Parse("FROM a\nRUN --network=none --security=insecure --mount=type=cache,target=/root/.cache,sharing=locked --mount=type=secret,id=tok --mount=target=/src,rw --mount=type=ssh --mount=type=tmpfs,target=/t,size=1m make");
        var run = Assert.IsType<RunInstruction>(m.Stages[0].Instructions[0]);
        Assert.Equal("none", run.Network);
        Assert.Equal("insecure", run.Security);
        Assert.Equal(["make"], run.Command.Args);
        Assert.True(run.Command.PrependShell);
        Assert.Equal(5, run.Mounts.Count);
        Assert.Equal(MountType.Cache, run.Mounts[0].Type);
        Assert.Equal(CacheSharing.Locked, run.Mounts[0].Sharing);
        Assert.Equal("/root/.cache", run.Mounts[0].Id);
        Assert.False(run.Mounts[0].ReadOnly);
        Assert.Equal("/run/secrets/tok", run.Mounts[1].Target);
        Assert.Equal(Convert.ToInt32("400", 8), run.Mounts[1].Mode);
        Assert.Equal(MountType.Bind, run.Mounts[2].Type);
        Assert.False(run.Mounts[2].ReadOnly);
        Assert.Equal("default", run.Mounts[3].Id);
        Assert.Equal(1024 * 1024, run.Mounts[4].SizeLimit);
    }

    [Fact]
    public void Exec_and_shell_forms()
    {
        var m = DockerfileModel.Parse("FROM a\nCMD [\"node\", \"app.js\"]\nENTRYPOINT exec top -b\nSHELL [\"/bin/bash\", \"-c\"]");
        var cmd = Assert.IsType<CmdInstruction>(m.Stages[0].Instructions[0]);
        Assert.False(cmd.Command.PrependShell);
        Assert.Equal(["node", "app.js"], cmd.Command.Args);
        var ep = Assert.IsType<EntrypointInstruction>(m.Stages[0].Instructions[1]);
        Assert.True(ep.Command.PrependShell);
        Assert.Equal(["exec top -b"], ep.Command.Args);
        Assert.Equal(["/bin/bash", "-c"], Assert.IsType<ShellInstruction>(m.Stages[0].Instructions[2]).Shell);
    }

    [Fact]
    public void Healthcheck_options()
    {
        var m = DockerfileModel.Parse("FROM a\nHEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --start-interval=1s --retries=3 CMD curl -f http://localhost/\nHEALTHCHECK CMD [\"/bin/check\"]\nHEALTHCHECK NONE");
        var h = Assert.IsType<HealthcheckInstruction>(m.Stages[0].Instructions[0]).Health;
        Assert.Equal(["CMD-SHELL", "curl -f http://localhost/"], h.Test);
        Assert.Equal(TimeSpan.FromSeconds(90), h.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), h.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(2), h.StartPeriod);
        Assert.Equal(TimeSpan.FromSeconds(1), h.StartInterval);
        Assert.Equal(3, h.Retries);
        Assert.Equal(["CMD", "/bin/check"], Assert.IsType<HealthcheckInstruction>(m.Stages[0].Instructions[1]).Health.Test);
        Assert.Equal(["NONE"], Assert.IsType<HealthcheckInstruction>(m.Stages[0].Instructions[2]).Health.Test);
    }

    [Fact]
    public void Onbuild_keeps_expression_and_typed_trigger()
    {
        var m = DockerfileModel.Parse("FROM a\nONBUILD   COPY --chown=1 . /app");
        var ob = Assert.IsType<OnbuildInstruction>(m.Stages[0].Instructions[0]);
        Assert.Equal("COPY --chown=1 . /app", ob.Expression);
        Assert.Equal("1", Assert.IsType<CopyInstruction>(ob.Trigger).Chown);
    }

    [Fact]
    public void Copy_and_add_flags_and_heredoc_sources()
    {
        var m = DockerfileModel.Parse("FROM a\nCOPY --link --parents --chmod=755 --exclude=*.md --exclude=x <<EOF a /dst/\nhello\nEOF\nADD --checksum=sha256:abc --keep-git-dir=true --unpack=false https://x/y.tgz /z");
        var copy = Assert.IsType<CopyInstruction>(m.Stages[0].Instructions[0]);
        Assert.True(copy.Link);
        Assert.True(copy.Parents);
        Assert.Equal("755", copy.Chmod);
        Assert.Equal(["*.md", "x"], copy.Excludes);
        Assert.Equal(["a"], copy.Sources);
        Assert.Equal("hello\n", Assert.Single(copy.SourceContents).Content);
        var add = Assert.IsType<AddInstruction>(m.Stages[0].Instructions[1]);
        Assert.Equal("sha256:abc", add.Checksum);
        Assert.True(add.KeepGitDir);
        Assert.False(add.Unpack);
    }

    [Fact]
    public void Run_heredoc_is_attached_to_the_command()
    {
        var m = DockerfileModel.Parse("FROM a\nRUN <<EOF\nset -e\necho hi\nEOF\n");
        var run = Assert.IsType<RunInstruction>(m.Stages[0].Instructions[0]);
        Assert.Equal("set -e\necho hi\n", Assert.Single(run.Command.Heredocs).Content);
    }

    [Fact]
    public void Expansion_applies_only_where_docker_expands()
    {
        var m = DockerfileModel.Parse("FROM a\nENV B=\"x y\" C=$A\nLABEL \"k\"=\"$A\"\nWORKDIR $HOME/w\nUSER ${U:-nobody}\nEXPOSE $PORTS\nVOLUME $HOME/v\nSTOPSIGNAL $SIG\nARG D=\"$A\"\nCOPY --chown=$U $A /$A/\nRUN echo $A\nCMD echo $A\nRUN --mount=type=cache,target=$HOME/.c make\n");
        var env = new ShellWordExpander(m.EscapeToken).WithEnvironment(new Dictionary<string, string>
        {
            ["A"] = "a1",
            ["HOME"] = "/root",
            ["PORTS"] = "80 443/udp",
            ["SIG"] = "SIGTERM",
        });
        var x = m.Stages[0].Instructions.Select(i => i.Expand(env)).ToList();
        Assert.Equal([new KeyValue("B", "x y", false), new KeyValue("C", "a1", false)], ((EnvInstruction)x[0]).Pairs);
        Assert.Equal([new KeyValue("k", "a1", false)], ((LabelInstruction)x[1]).Pairs);
        Assert.Equal("/root/w", ((WorkdirInstruction)x[2]).Path);
        Assert.Equal("nobody", ((UserInstruction)x[3]).User);
        Assert.Equal(["80", "443/udp"], ((ExposeInstruction)x[4]).Ports);
        Assert.Equal(["/root/v"], ((VolumeInstruction)x[5]).Volumes);
        Assert.Equal("SIGTERM", ((StopSignalInstruction)x[6]).Signal);
        Assert.Equal(new ArgDefinition("D", "a1"), ((ArgInstruction)x[7]).Args[0]);
        var copy = (CopyInstruction)x[8];
        Assert.Equal("", copy.Chown);
        Assert.Equal(["a1"], copy.Sources);
        Assert.Equal("/a1/", copy.Destination);
        Assert.Same(m.Stages[0].Instructions[9], x[9]);
        Assert.Equal(["echo $A"], ((RunInstruction)x[9]).Command.Args);
        Assert.Same(m.Stages[0].Instructions[10], x[10]);
        Assert.Equal("/root/.c", ((RunInstruction)x[11]).Mounts[0].Target);
        Assert.False(m.Stages[0].Instructions[10].ExpandsVariables);
    }

    [Fact]
    public void From_expands_with_meta_args()
    {
        var m = DockerfileModel.Parse("ARG V=3.19\nFROM --platform=$BUILDPLATFORM alpine:$V");
        var env = new ShellWordExpander().WithEnvironment(new Dictionary<string, string> { ["V"] = "3.20", ["BUILDPLATFORM"] = "linux/amd64" });
        var from = (FromInstruction)m.Stages[0].From.Expand(env);
        Assert.Equal("alpine:3.20", from.BaseName);
        Assert.Equal("linux/amd64", from.Platform);
    }

    [Fact]
    public void Expansion_errors_are_located_at_the_instruction()
    {
        var m = DockerfileModel.Parse("FROM a\n\nWORKDIR ${DIR:?set DIR}");
        var env = new ShellWordExpander().WithEnvironment(new Dictionary<string, string>());
        var ex = Assert.Throws<DockerfileException>(() => m.Stages[0].Instructions[0].Expand(env));
        Assert.Equal(3, ex.StartLine);
        Assert.Contains("DIR: set DIR", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expansion_errors_name_the_file_when_given()
    {
        var m = DockerfileModel.Parse("FROM a\nUSER \"x", "app.Dockerfile");
        var env = new ShellWordExpander().WithEnvironment(new Dictionary<string, string>());
        var ex = Assert.Throws<DockerfileException>(() => m.Stages[0].Instructions[0].Expand(env, "app.Dockerfile"));
        Assert.StartsWith("app.Dockerfile:2: failed to process", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["USER \"x"], ex.SourceLines);
    }

    [Fact]
    public void Tutorial_dockerfiles_parse()
    {
        var m = DockerfileModel.Parse("FROM node:19.2-alpine3.16\nWORKDIR /app\nCOPY app.js package.json ./\nRUN npm install\nCMD [\"node\", \"app.js\"]\n");
        Assert.Equal(4, m.Stages[0].Instructions.Count);
        m = DockerfileModel.Parse("FROM node:15.12.0-slim\nCOPY . /usr/src/app\nWORKDIR /usr/src/app\nRUN npm install\nEXPOSE 8080\nCMD [ \"node\", \"index.js\" ]\n");
        Assert.Equal("node:15.12.0-slim", m.Stages[0].BaseName);
    }
}
