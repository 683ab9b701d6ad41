// Owns: tutorial 2 (seeds/001_*.txt) replayed with gantry: build nodejs-app:v1, images, run -d -p 8080:8080.
using System.Text.RegularExpressions;
using Gantry.TestKit;

namespace Gantry.Acceptance.Tests;

[Collection(TutorialEnvironment.Collection)]
public sealed partial class Tutorial2Tests(TutorialEnvironment env)
{
    [Fact]
    public async Task Build_nodejs_app_v1_lists_it_in_images_and_serves_http_on_8080()
    {
        env.Require();
        TutorialNpm.Require();
        using var app = new TempDirectory("app-netlabs-ocp");
        TutorialApps.WriteNodeApp(app.FullPath); // includes the tutorial's `cat <<EOF > Dockerfile`
        var cli = env.Cli();

        // docker build -t nodejs-app:v1 .
        var build = new BuildLog((await cli.OkAsync(app.FullPath, "build", "-t", "nodejs-app:v1", ".")).Output);
        Assert.Contains(build.Steps, s => s.Instruction.StartsWith("RUN npm install", StringComparison.Ordinal));
        var image = await cli.InspectAsync("nodejs-app:v1");

        // docker images
        var images = (await cli.OkAsync(null, "images")).StdOut;
        var lines = images.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(ImagesHeader(), lines[0]);
        var shortId = image.Id["sha256:".Length..][..12];
        Assert.Contains(lines, l => NodeAppRow().IsMatch(l) && l.Contains(shortId, StringComparison.Ordinal));

        // docker run -d -p 8080:8080 nodejs-app:v1 (the literal form when 8080 is free, else another host port)
        var hostPort = TutorialSteps.PortIsFree(8080) ? 8080 : TutorialSteps.FreePort();
        var run = await cli.OkAsync(null, "run", "-d", "-p", $"{hostPort}:8080", "nodejs-app:v1");
        var id = run.StdOut.Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var body = await TutorialSteps.PollAsync(async () =>
            {
                try
                {
                    return await http.GetStringAsync(new Uri($"http://127.0.0.1:{hostPort}/tutorial"), TestContext.Current.CancellationToken);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return null;
                }
            }, TimeSpan.FromSeconds(60));
            Assert.True(body is not null, $"nothing answered on 127.0.0.1:{hostPort}; gantry logs:\n{(await cli.TryAsync(null, "logs", id)).Output}");
            Assert.Contains(TutorialApps.NodeAppGreeting + ": /tutorial", body, StringComparison.Ordinal);

            var ps = (await cli.OkAsync(null, "ps")).StdOut;
            Assert.Contains(id[..12], ps, StringComparison.Ordinal);
            Assert.Contains($"{hostPort}->8080/tcp", ps, StringComparison.Ordinal);

            // The container stops cleanly (SIGTERM closes the server) and leaves nothing behind.
            await cli.OkAsync(null, "stop", id);
            var inspect = await cli.OkAsync(null, "ps", "-a", "--no-trunc");
            Assert.Contains(inspect.StdOut.Split('\n'), l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("Exited", StringComparison.Ordinal));
        }
        finally
        {
            await cli.TryAsync(null, "rm", "-f", id);
        }

        Assert.DoesNotContain(id[..12], (await cli.OkAsync(null, "ps", "-a")).StdOut, StringComparison.Ordinal);
        Assert.Empty(TutorialSteps.MountsUnder(Path.Combine(env.SharedStore, "containers")));
        Assert.True(await PortClosedAsync(hostPort), $"host port {hostPort} must be released after gantry stop/rm");
    }

    private static async Task<bool> PortClosedAsync(int port)
    {
        var closed = await TutorialSteps.PollAsync<string>(() => Task.FromResult(TutorialSteps.PortIsFree(port) ? "free" : null), TimeSpan.FromSeconds(10));
        return closed is not null;
    }

    [GeneratedRegex(@"^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s*$")]
    private static partial Regex ImagesHeader();

    [GeneratedRegex(@"^nodejs-app\s+v1\s+[0-9a-f]{12}\s+\S.*\s+\d+(\.\d+)?[kMG]?B\s*$")]
    private static partial Regex NodeAppRow();
}
