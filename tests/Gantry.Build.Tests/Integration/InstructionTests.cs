// Owns: each instruction's effect in the built image's config and filesystem, multi-stage builds, ARG/ENV visibility.
using Gantry.Oci;

namespace Gantry.Build.Tests.Integration;

public sealed class InstructionTests
{
    [Fact]
    public async Task Metadata_instructions_set_the_config_like_docker()
    {
        using var h = await BuildHarness.CreateAsync();
        var result = await h.BuildAsync("""
            FROM busybox
            ENV A=1 B="two words"
            ENV A=3
            LABEL org.example.name="demo" version=1
            EXPOSE 8080 53/udp
            USER 1000:1000
            VOLUME ["/data"]
            STOPSIGNAL SIGTERM
            HEALTHCHECK --interval=30s --retries=3 CMD wget -q -O- http://localhost/ || exit 1
            CMD ["first"]
            ENTRYPOINT ["/bin/echo"]
            ONBUILD RUN echo triggered
            MAINTAINER someone@example.com
            """, o => o with { Labels = new Dictionary<string, string> { ["from-cli"] = "yes" } });
        var config = (await h.ImageAsync(result)).Config;
        var c = config.Config!;
        Assert.Contains("A=3", c.Env!);
        Assert.Contains("B=two words", c.Env!);
        Assert.Equal("demo", c.Labels!["org.example.name"]);
        Assert.Equal("yes", c.Labels!["from-cli"]);
        Assert.Equal(["53/udp", "8080/tcp"], c.ExposedPorts!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("1000:1000", c.User);
        Assert.Equal(["/data"], c.Volumes!.Keys);
        Assert.Equal("SIGTERM", c.StopSignal);
        Assert.Equal(["CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"], c.Healthcheck!.Test);
        Assert.Equal(30_000_000_000, c.Healthcheck.Interval);
        Assert.Equal(3, c.Healthcheck.Retries);
        Assert.Equal(["/bin/echo"], c.Entrypoint);
        Assert.Equal(["first"], c.Cmd); // CMD set earlier in this stage survives ENTRYPOINT
        Assert.Equal(["RUN echo triggered"], c.OnBuild);
        Assert.Equal("someone@example.com", config.Author);
    }

    [Fact]
    public async Task Every_stage_gets_buildkits_default_path_unless_it_has_one()
    {
        using var h = await BuildHarness.CreateAsync();
        h.Write("f.txt", "x");
        var scratch = (await h.ImageAsync(await h.BuildAsync("FROM scratch\nCOPY f.txt /\nENV A=1\n"))).Config.Config!;
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=1"], scratch.Env);

        var own = (await h.ImageAsync(await h.BuildAsync("FROM scratch\nENV PATH=/opt/bin\nCOPY f.txt /\n"))).Config.Config!;
        Assert.Equal(["PATH=/opt/bin"], own.Env);
    }

    [Fact]
    public async Task Entrypoint_resets_an_inherited_cmd_and_shell_form_uses_shell()
    {
        using var h = await BuildHarness.CreateAsync();
        var result = await h.BuildAsync("""
            FROM busybox AS base
            CMD ["inherited"]
            FROM base
            SHELL ["/bin/sh", "-ec"]
            ENTRYPOINT exec echo hi
            """);
        var c = (await h.ImageAsync(result)).Config.Config!;
        Assert.Null(c.Cmd);
        Assert.Equal(["/bin/sh", "-ec", "exec echo hi"], c.Entrypoint);
        Assert.Equal(["/bin/sh", "-ec"], c.Shell);
    }

    [Fact]
    public async Task Args_envs_user_and_workdir_are_visible_to_run()
    {
        using var h = await BuildHarness.CreateAsync();
        var result = await h.BuildAsync("""
            ARG BASE=busybox
            FROM $BASE
            ARG GREETING=hello
            ARG FROM_CLI
            ENV WHO=world
            WORKDIR /work/deep
            RUN echo "$GREETING $WHO $FROM_CLI $(pwd) $TARGETARCH" > /out.txt
            ARG TARGETARCH
            RUN echo "$TARGETARCH" > /arch.txt
            USER 1000
            RUN id -u > /tmp/uid.txt
            """, o => o with { BuildArgs = new Dictionary<string, string?> { ["FROM_CLI"] = "cli" } });
        var fs = await h.UnpackAsync(result);
        Assert.Equal("hello world cli /work/deep \n", File.ReadAllText(Path.Combine(fs, "out.txt")));
        Assert.Equal(Platform.Current.Architecture + "\n", File.ReadAllText(Path.Combine(fs, "arch.txt")));
        Assert.Equal("1000\n", File.ReadAllText(Path.Combine(fs, "tmp/uid.txt")));
        var image = await h.ImageAsync(result);
        Assert.Contains(image.Config.History!, e => e.CreatedBy is { } c && c.StartsWith("RUN |2 GREETING=hello FROM_CLI=cli /bin/sh -c", StringComparison.Ordinal));
        Assert.DoesNotContain(image.Config.Config!.Env!, e => e.StartsWith("GREETING", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Multi_stage_copies_from_a_stage_by_name_and_index_and_skips_unneeded_stages()
    {
        using var h = await BuildHarness.CreateAsync();
        h.Write("src/main.txt", "source");
        var result = await h.BuildAsync("""
            FROM busybox AS build
            COPY src/ /src/
            RUN mkdir -p /out && cat /src/main.txt > /out/artifact && echo extra > /out/second
            FROM busybox AS unused
            RUN exit 1
            FROM busybox
            COPY --from=build /out/artifact /app/artifact
            COPY --from=0 /out/second /app/
            """);
        var fs = await h.UnpackAsync(result);
        Assert.Equal("source", File.ReadAllText(Path.Combine(fs, "app/artifact")));
        Assert.Equal("extra\n", File.ReadAllText(Path.Combine(fs, "app/second")));
        Assert.False(Directory.Exists(Path.Combine(fs, "src")));
        Assert.DoesNotContain(h.Progress.Started, s => s.Contains("exit 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Target_builds_only_that_stage()
    {
        using var h = await BuildHarness.CreateAsync();
        var result = await h.BuildAsync("""
            FROM busybox AS first
            RUN echo one > /one
            FROM busybox
            RUN exit 1
            """, o => o with { Target = "first" });
        var fs = await h.UnpackAsync(result);
        Assert.Equal("one\n", File.ReadAllText(Path.Combine(fs, "one")));
    }

    [Fact]
    public async Task Copy_rules_globs_several_sources_chown_chmod_heredoc_and_archives()
    {
        using var h = await BuildHarness.CreateAsync();
        h.Write("a.js", "a");
        h.Write("b.js", "b");
        h.Write("c.txt", "c");
        h.Write("dir/sub/x", "x");
        var archive = Path.Combine(h.Context, "bundle.tar");
        var staging = Path.Combine(h.Context, "..", "bundle-src");
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "inside.txt"), "from tar");
        TestKit.ProcessRunner.Run("tar", ["-C", staging, "-cf", archive, "inside.txt"]);
        var result = await h.BuildAsync("""
            FROM busybox
            COPY *.js /js/
            COPY a.js c.txt /multi/
            COPY c.txt /renamed.txt
            COPY dir /copied-dir
            COPY --chown=1000:1000 --chmod=640 c.txt /owned.txt
            COPY <<EOF /etc/motd
            hello from heredoc
            EOF
            ADD bundle.tar /unpacked/
            COPY --parents dir/sub/x /parents/
            COPY --exclude=b.js *.js /excl/
            """);
        var fs = await h.UnpackAsync(result);
        Assert.True(File.Exists(Path.Combine(fs, "js/a.js")) && File.Exists(Path.Combine(fs, "js/b.js")));
        Assert.True(File.Exists(Path.Combine(fs, "multi/a.js")) && File.Exists(Path.Combine(fs, "multi/c.txt")));
        Assert.Equal("c", File.ReadAllText(Path.Combine(fs, "renamed.txt")));
        Assert.Equal("x", File.ReadAllText(Path.Combine(fs, "copied-dir/sub/x")));
        Assert.Equal((UnixFileMode)0b110_100_000, File.GetUnixFileMode(Path.Combine(fs, "owned.txt")));
        var stat = Native.FileStatReader.Lstat(Path.Combine(fs, "owned.txt"));
        Assert.Equal(1000u, stat.Uid);
        Assert.Equal("hello from heredoc\n", File.ReadAllText(Path.Combine(fs, "etc/motd")));
        Assert.Equal("from tar", File.ReadAllText(Path.Combine(fs, "unpacked/inside.txt")));
        Assert.Equal("x", File.ReadAllText(Path.Combine(fs, "parents/dir/sub/x")));
        Assert.True(File.Exists(Path.Combine(fs, "excl/a.js")));
        Assert.False(File.Exists(Path.Combine(fs, "excl/b.js")));
    }

    [Fact]
    public async Task Several_sources_need_a_directory_destination()
    {
        using var h = await BuildHarness.CreateAsync();
        h.Write("a", "a");
        h.Write("b", "b");
        var ex = await Assert.ThrowsAnyAsync<GantryException>(() => h.BuildAsync("FROM busybox\nCOPY a b /dest\n"));
        Assert.Contains("must be a directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_mounts_cache_tmpfs_and_secret()
    {
        using var h = await BuildHarness.CreateAsync();
        var secret = Path.Combine(h.Context, "..", "secret.txt");
        File.WriteAllText(secret, "s3cr3t");
        var result = await h.BuildAsync("""
            FROM busybox
            RUN --mount=type=cache,target=/cache echo cached > /cache/x
            RUN --mount=type=cache,target=/cache cp /cache/x /from-cache
            RUN --mount=type=tmpfs,target=/scratch touch /scratch/y && test -e /scratch/y
            RUN --mount=type=secret,id=token cat /run/secrets/token > /secret-copy
            """, o => o with { Secrets = new Dictionary<string, string> { ["token"] = Path.GetFullPath(secret) } });
        var fs = await h.UnpackAsync(result);
        Assert.Equal("cached\n", File.ReadAllText(Path.Combine(fs, "from-cache")));
        Assert.Equal("s3cr3t", File.ReadAllText(Path.Combine(fs, "secret-copy")));
        Assert.False(File.Exists(Path.Combine(fs, "cache/x")));
        Assert.False(File.Exists(Path.Combine(fs, "run/secrets/token")));
    }

    [Fact]
    public async Task Onbuild_triggers_run_in_the_child_build()
    {
        using var h = await BuildHarness.CreateAsync();
        await h.BuildAsync("FROM busybox\nONBUILD RUN echo triggered > /trigger.txt\n", o => o with { Tags = ["parent:latest"] });
        var child = await h.BuildAsync("FROM parent\nRUN cat /trigger.txt\n");
        var fs = await h.UnpackAsync(child);
        Assert.Equal("triggered\n", File.ReadAllText(Path.Combine(fs, "trigger.txt")));
        Assert.Null((await h.ImageAsync(child)).Config.Config!.OnBuild);
    }
}
