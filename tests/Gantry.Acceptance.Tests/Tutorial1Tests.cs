// Owns: tutorial 1 (seeds/000_*.txt) replayed with gantry: build --tag cron-ticker, layer cache and order, image tag, FROM // line.
using Gantry.TestKit;

namespace Gantry.Acceptance.Tests;

[Collection(TutorialEnvironment.Collection)]
public sealed class Tutorial1Tests(TutorialEnvironment env)
{
    [Fact]
    public async Task Build_tag_cron_ticker_then_unchanged_rebuild_is_fully_cached_and_editing_app_js_reruns_copy_and_npm_install()
    {
        env.Require();
        TutorialNpm.Require();
        using var ctx = new TempDirectory("cron-ticker");
        // The suite shares one store (and build cache) across tests; a variant of app.js unique to this run makes this
        // build the first of its kind, as on the tutorial's fresh machine, whatever order the tests run in.
        var variant = "first build " + Guid.NewGuid().ToString("N");
        TutorialApps.WriteCronTicker(ctx.FullPath, variant: variant);
        var cli = env.Cli();

        // docker build --tag cron-ticker .
        var first = new BuildLog((await cli.OkAsync(ctx.FullPath, "build", "--tag", "cron-ticker", ".")).Output);
        Assert.True(first.Ran("RUN npm install"), $"the first build must run npm install:\n{first.Text}");
        var built = await cli.InspectAsync("cron-ticker");

        var again = new BuildLog((await cli.OkAsync(ctx.FullPath, "build", "--tag", "cron-ticker", ".")).Output);
        Assert.True(!again.NotCached.Any(), $"an unchanged rebuild must be fully CACHED, but these steps were not: {string.Join(", ", again.NotCached)}\n{again.Text}");
        var rebuilt = await cli.InspectAsync("cron-ticker");
        Assert.Equal(built.Id, rebuilt.Id);
        Assert.Equal(built.Layers, rebuilt.Layers);

        // Change the source: in the tutorial's order the COPY of app.js and package.json re-runs, and so does npm install after it.
        File.WriteAllText(ctx.Combine("app.js"), TutorialApps.CronTickerAppJs("edited " + variant));
        var edited = new BuildLog((await cli.OkAsync(ctx.FullPath, "build", "--tag", "cron-ticker", ".")).Output);
        Assert.True(edited.IsCached("WORKDIR /app"), $"WORKDIR comes before the change and stays cached:\n{edited.Text}");
        Assert.True(edited.Ran("COPY app.js package.json ./"), $"the COPY of the edited app.js must re-run:\n{edited.Text}");
        Assert.True(edited.Ran("RUN npm install"), $"npm install after the changed COPY must re-run (docker does):\n{edited.Text}");
        var after = await cli.InspectAsync("cron-ticker");
        Assert.NotEqual(built.Id, after.Id);
        Assert.Equal(built.Layers.Length, after.Layers.Length);
        Assert.Equal(built.Layers[..^2], after.Layers[..^2]); // base and WORKDIR: same digests
        Assert.NotEqual(built.Layers[^2], after.Layers[^2]); // COPY app.js package.json ./
    }

    [Fact]
    public async Task Recommended_order_reuses_the_npm_install_layer_after_editing_app_js()
    {
        env.Require();
        TutorialNpm.Require();
        using var ctx = new TempDirectory("cron-ticker-ordered");
        TutorialApps.WriteCronTicker(ctx.FullPath, TutorialApps.CronTickerDockerfileRecommended);
        var cli = env.Cli();

        await cli.OkAsync(ctx.FullPath, "build", "--tag", "cron-ticker:ordered", ".");
        var before = await cli.InspectAsync("cron-ticker:ordered");

        File.WriteAllText(ctx.Combine("app.js"), TutorialApps.CronTickerAppJs("edited in the recommended order"));
        var log = new BuildLog((await cli.OkAsync(ctx.FullPath, "build", "--tag", "cron-ticker:ordered", ".")).Output);
        Assert.True(log.IsCached("COPY package.json ./"), $"package.json did not change, its COPY stays cached:\n{log.Text}");
        Assert.True(log.IsCached("RUN npm install"), $"the npm install layer must be reused when only app.js changed:\n{log.Text}");
        Assert.True(log.Ran("COPY app.js ./"), $"the COPY of the edited app.js must re-run:\n{log.Text}");

        var after = await cli.InspectAsync("cron-ticker:ordered");
        Assert.NotEqual(before.Id, after.Id);
        Assert.Equal(before.Layers.Length, after.Layers.Length);
        Assert.Equal(before.Layers[..^1], after.Layers[..^1]); // base, WORKDIR, COPY package.json, RUN npm install: same digests
        Assert.NotEqual(before.Layers[^1], after.Layers[^1]); // COPY app.js ./
    }

    [Fact]
    public async Task Image_tag_gives_the_same_image_id_under_the_new_names()
    {
        env.Require();
        TutorialNpm.Require();
        var cli = env.Cli();
        await CronTicker.EnsureBuiltAsync(env, cli);
        var source = await cli.InspectAsync("cron-ticker");

        // docker image tag SOURCE[:TAG] TARGET_IMAGE[:TAG], then the tutorial's literal line.
        await cli.OkAsync(null, "image", "tag", "cron-ticker", "isaias0328/cron-ticker:pantera");
        await cli.OkAsync(null, "image", "tag", "isaias0328/cron-ticker:pantera", "isaias0328/cron-ticker");
        Assert.Equal(source.Id, (await cli.InspectAsync("isaias0328/cron-ticker:pantera")).Id);
        Assert.Equal(source.Id, (await cli.InspectAsync("isaias0328/cron-ticker:latest")).Id);
        Assert.Equal(source.Id, (await cli.InspectAsync("docker.io/isaias0328/cron-ticker")).Id);

        var images = (await cli.OkAsync(null, "images", "isaias0328/cron-ticker")).StdOut;
        var shortId = source.Id["sha256:".Length..][..12];
        Assert.Contains(images.Split('\n'), l => l.StartsWith("isaias0328/cron-ticker", StringComparison.Ordinal) && l.Contains(" pantera ", StringComparison.Ordinal) && l.Contains(shortId, StringComparison.Ordinal));
        Assert.Contains(images.Split('\n'), l => l.StartsWith("isaias0328/cron-ticker", StringComparison.Ordinal) && l.Contains(" latest ", StringComparison.Ordinal) && l.Contains(shortId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_tutorials_literal_FROM_line_with_a_slash_comment_fails_with_a_clear_message()
    {
        env.Require();
        using var ctx = new TempDirectory("cron-ticker-slash");
        TutorialApps.WriteCronTicker(ctx.FullPath, TutorialApps.CronTickerDockerfileWithSlashComment);
        var r = await env.Cli().TryAsync(ctx.FullPath, "build", "--tag", "cron-ticker:slash", ".");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("FROM takes one image", r.StdErr, StringComparison.Ordinal);
        Assert.Contains("`//` is not a comment", r.StdErr, StringComparison.Ordinal);
        Assert.Contains("Dockerfile:1", r.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", r.Output, StringComparison.Ordinal);
    }
}
