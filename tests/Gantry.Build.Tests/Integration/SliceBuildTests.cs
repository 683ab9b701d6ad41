// Owns: end-to-end builds on busybox: WORKDIR + COPY + RUN + CMD, the layer cache across edits, deletions, .dockerignore.
using Gantry.Oci;

namespace Gantry.Build.Tests.Integration;

public sealed class SliceBuildTests
{
    private const string Dockerfile = """
        FROM busybox
        WORKDIR /app
        COPY greeting.txt ./
        RUN echo "built from $(cat greeting.txt)" > build-info.txt && rm /etc/group
        CMD ["cat", "/app/build-info.txt"]
        """;

    [Fact]
    public async Task Builds_workdir_copy_run_cmd_and_stores_a_tagged_image()
    {
        using var h = await BuildHarness.CreateAsync();
        h.Write("greeting.txt", "hola");
        var result = await h.BuildAsync(Dockerfile);

        var image = await h.ImageAsync(result);
        Assert.Contains("docker.io/library/test-image:latest", image.Names.Select(n => n.ToString()));
        var config = image.Config.Config!;
        Assert.Equal(["cat", "/app/build-info.txt"], config.Cmd);
        Assert.Equal("/app", config.WorkingDir);
        Assert.Equal(4, image.Layers.Count); // busybox + WORKDIR mkdir + COPY + RUN
        Assert.Equal(image.Layers.Count, image.Config.RootFs.DiffIds.Count);
        var history = image.Config.History!;
        Assert.Contains(history, e => e.CreatedBy == "RUN /bin/sh -c echo \"built from $(cat greeting.txt)\" > build-info.txt && rm /etc/group # buildkit");
        Assert.Contains(history, e => e.CreatedBy == "COPY greeting.txt ./ # buildkit" && !e.EmptyLayer);
        Assert.Contains(history, e => e.CreatedBy == "CMD [\"cat\" \"/app/build-info.txt\"]" && e.EmptyLayer);
        Assert.Equal(image.Layers.Count, history.Count(e => !e.EmptyLayer));

        var fs = await h.UnpackAsync(result);
        Assert.Equal("hola", File.ReadAllText(Path.Combine(fs, "app/greeting.txt")));
        Assert.Equal("built from hola\n", File.ReadAllText(Path.Combine(fs, "app/build-info.txt")));
        Assert.False(File.Exists(Path.Combine(fs, "etc/group")), "a file deleted by RUN must be absent in the image");
        Assert.True(File.Exists(Path.Combine(fs, "etc/passwd")));
    }

    [Fact]
    public async Task Unchanged_rebuild_is_fully_cached_and_an_edit_reruns_that_step_and_every_later_one()
    {
        using var h = await BuildHarness.CreateAsync();
        h.Write("greeting.txt", "hola");
        var first = await h.BuildAsync(Dockerfile);
        Assert.Equal(3, h.Progress.Executed.Count);

        var second = await h.BuildAsync(Dockerfile);
        Assert.Equal(first.ImageId, second.ImageId);
        Assert.Empty(h.Progress.Executed);
        Assert.Equal(3, h.Progress.Cached.Count);

        h.Write("greeting.txt", "adios");
        var third = await h.BuildAsync(Dockerfile);
        Assert.NotEqual(first.ImageId, third.ImageId);
        Assert.Equal(["WORKDIR /app"], h.Progress.Cached);
        Assert.Equal(2, h.Progress.Executed.Count);
        var fs = await h.UnpackAsync(third);
        Assert.Equal("built from adios\n", File.ReadAllText(Path.Combine(fs, "app/build-info.txt")));

        var noCache = await h.BuildAsync(Dockerfile, o => o with { NoCache = true });
        Assert.Empty(h.Progress.Cached);
        Assert.Equal(3, h.Progress.Executed.Count);
        Assert.NotNull(noCache);
    }

    [Fact]
    public async Task Reordered_dockerfile_keeps_the_expensive_run_cached_after_an_app_edit()
    {
        using var h = await BuildHarness.CreateAsync();
        const string ordered = """
            FROM busybox
            WORKDIR /app
            COPY package.json ./
            RUN cp package.json installed.json
            COPY app.js ./
            CMD ["cat", "app.js"]
            """;
        h.Write("package.json", "{}");
        h.Write("app.js", "v1");
        var first = await h.BuildAsync(ordered);
        var runLayer = (await h.ImageAsync(first)).Layers[3];
        h.Write("app.js", "v2");
        var second = await h.BuildAsync(ordered);
        Assert.Contains("RUN cp package.json installed.json", h.Progress.Cached);
        Assert.Equal(["COPY app.js ./"], h.Progress.Executed);
        Assert.Equal(runLayer, (await h.ImageAsync(second)).Layers[3]);
    }

    [Fact]
    public async Task Dockerignore_is_honoured_and_steps_without_changes_add_no_layer()
    {
        using var h = await BuildHarness.CreateAsync();
        h.Write(".dockerignore", "*.log\nsecret/\n!secret/keep.txt\n");
        h.Write("a.txt", "a");
        h.Write("debug.log", "noise");
        h.Write("secret/key", "k");
        h.Write("secret/keep.txt", "kept");
        var result = await h.BuildAsync("""
            FROM busybox
            COPY . /ctx/
            RUN test ! -e /ctx/debug.log && test ! -e /ctx/secret/key && test -e /ctx/secret/keep.txt
            RUN true
            """);
        var fs = await h.UnpackAsync(result);
        Assert.True(File.Exists(Path.Combine(fs, "ctx/a.txt")));
        Assert.True(File.Exists(Path.Combine(fs, "ctx/Dockerfile")));
        Assert.False(File.Exists(Path.Combine(fs, "ctx/debug.log")));
        Assert.False(File.Exists(Path.Combine(fs, "ctx/secret/key")));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(fs, "ctx/secret/keep.txt")));
        var image = await h.ImageAsync(result);
        Assert.Equal(2, image.Layers.Count); // busybox + COPY; both RUNs changed nothing
        Assert.Equal(2, image.Config.History!.Count(e => e.EmptyLayer && e.CreatedBy!.StartsWith("RUN ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Two_clean_builds_give_identical_layer_digests()
    {
        using var h = await BuildHarness.CreateAsync();
        h.Write("greeting.txt", "same");
        var epoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var otherRoot = h.NewRoot();
        Directory.CreateDirectory(otherRoot);
        CopyDirectory(Path.Combine(h.Root, "content"), Path.Combine(otherRoot, "content")); // the same base image bytes
        var first = await h.BuildAsync(Dockerfile, o => o with { SourceDateEpoch = epoch });
        var second = await h.BuildAsync(Dockerfile, o => o with { SourceDateEpoch = epoch, StoreRoot = otherRoot });
        var a = await h.ImageAsync(first);
        var b = await h.ImageAsync(second, otherRoot);
        Assert.Equal(a.Layers.Select(l => l.Digest), b.Layers.Select(l => l.Digest));
        Assert.Equal(first.ImageId, second.ImageId);
    }

    private static void CopyDirectory(string from, string to)
    {
        var r = TestKit.ProcessRunner.Run("cp", ["-a", from, to]);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    [Fact]
    public async Task Failing_run_shows_command_output_and_exit_code_and_tags_nothing_but_keeps_earlier_steps_cached()
    {
        using var h = await BuildHarness.CreateAsync();
        h.Write("greeting.txt", "x");
        var ex = await Assert.ThrowsAsync<BuildFailedException>(() => h.BuildAsync("""
            FROM busybox
            COPY greeting.txt /
            RUN echo about to fail && exit 3
            """));
        Assert.Contains("Dockerfile:3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("echo about to fail && exit 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("exit code 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("about to fail", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, ex.RunExitCode);
        Assert.Null(await h.Store.TryResolveAsync("test-image:latest", TestContext.Current.CancellationToken));

        await Assert.ThrowsAsync<BuildFailedException>(() => h.BuildAsync("""
            FROM busybox
            COPY greeting.txt /
            RUN echo about to fail && exit 3
            """));
        Assert.Contains("COPY greeting.txt /", h.Progress.Cached);
    }

    [Theory]
    [InlineData("COPY nope .", "'nope'")]
    [InlineData("COPY ../x .", "outside the build context")]
    [InlineData("COPY --from=missing /x .", "missing")]
    public async Task Bad_sources_fail_with_the_name_and_the_line(string instruction, string expected)
    {
        using var h = await BuildHarness.CreateAsync();
        var ex = await Assert.ThrowsAnyAsync<GantryException>(() => h.BuildAsync($"FROM busybox\n{instruction}\n"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("Dockerfile:2", ex.Message, StringComparison.Ordinal);
    }
}
