// Owns: `gantry registry serve` and `gantry registry garbage-collect` run as the real binary: flags, config file, shutdown.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gantry.TestKit;

namespace Gantry.Registry.Server.Tests.Interop;

public sealed class CliServeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_prints_the_real_port_takes_pushes_and_pulls_and_stops_cleanly_on_sigterm()
    {
        using var dir = new TempDirectory("gantry-serve");
        var server = await ServeProcess.StartAsync(["--addr", "127.0.0.1:0", "--root", dir.Combine("reg"), "--delete-enabled"], Ct);
        await using (server)
        {
            Assert.NotEqual(0, server.BaseAddress.Port);
            await using (var pusher = new SpecPusher(server.BaseAddress))
            {
                var (manifest, digest, _, _) = await pusher.PushImageAsync("cli/app", "v1");
                using var get = await pusher.Http.GetAsync($"/v2/cli/app/manifests/{digest}", Ct);
                Assert.Equal(manifest, await get.Content.ReadAsByteArrayAsync(Ct));
                using var del = await pusher.Http.DeleteAsync($"/v2/cli/app/manifests/{digest}", Ct);
                Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
            }

            Assert.True(Directory.Exists(dir.Combine("reg", "blobs")));
            Assert.Equal(0, await server.StopAsync());
            Assert.Contains("msg=request method=PUT path=/v2/cli/app/manifests/v1 status=201", server.StdErr, StringComparison.Ordinal);
        }

        // Offline GC with no grace removes what the deleted manifest held.
        var gc = new GantryCli(dir.Combine("store")).Run(["--root", dir.Combine("reg"), "registry", "garbage-collect", "--grace", "0"], null);
        Assert.True(gc.ExitCode == 0, gc.ToString());
        Assert.Contains("Deleted 3 blobs", gc.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_reads_a_config_file_and_flags_override_it()
    {
        using var dir = new TempDirectory("gantry-serve");
        var htpasswd = dir.Combine("htpasswd");
        var tool = Requires.Command("htpasswd", "apache2-utils");
        Assert.Equal(0, ProcessRunner.Run(tool, ["-Bbc", htpasswd, "ci", "pw"]).ExitCode);
        var config = dir.WriteFile("registry.yaml", $"""
            addr: 127.0.0.1:1         # overridden by --addr
            root: data
            htpasswd: {htpasswd}
            anonymous_pull: true
            token_realm: auto
            """);
        await using var server = await ServeProcess.StartAsync(["--config", config, "--addr", "127.0.0.1:0"], Ct);
        Assert.True(Directory.Exists(dir.Combine("data", "blobs")));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var push = await http.PostAsync("/v2/conf/app/blobs/uploads/", null, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, push.StatusCode);
        Assert.StartsWith("Bearer realm=", push.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        using var tokenReq = new HttpRequestMessage(HttpMethod.Get, "/token?service=gantry-registry&scope=repository:conf/app:pull,push");
        tokenReq.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ci:pw")));
        using var token = await http.SendAsync(tokenReq, Ct);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
    }

    [Fact]
    public async Task Skopeo_pushes_to_and_pulls_from_the_cli_server()
    {
        Requires.Command("skopeo");
        using var dir = new TempDirectory("gantry-serve");
        var (_, layer) = OciLayoutFixture.Write(dir.Combine("src"));
        await using var server = await ServeProcess.StartAsync(["--addr", "127.0.0.1:0", "--root", dir.Combine("reg")], Ct);
        SkopeoTests.Skopeo("copy", "--dest-tls-verify=false", "--format", "v2s2", $"oci:{dir.Combine("src")}:latest", $"docker://{server.HostPort}/cli/busybox:1");
        SkopeoTests.Skopeo("copy", "--src-tls-verify=false", $"docker://{server.HostPort}/cli/busybox:1", $"oci:{dir.Combine("out")}:1");
        Assert.True(File.Exists(dir.Combine("out", "blobs", "sha256", layer.Encoded)));
    }

    [Fact]
    public void Serve_with_a_bad_address_or_config_fails_with_one_clear_error()
    {
        using var dir = new TempDirectory("gantry-serve");
        var cli = new GantryCli(dir.Combine("store"));
        var bad = cli.Run("registry", "serve", "--addr", "nowhere");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("Error: invalid listen address 'nowhere'", bad.StdErr, StringComparison.Ordinal);
        var conf = dir.WriteFile("r.yml", "colour: blue\n");
        var badConf = cli.Run("registry", "serve", "--config", conf);
        Assert.NotEqual(0, badConf.ExitCode);
        Assert.Contains("unknown setting 'colour'", badConf.StdErr, StringComparison.Ordinal);
    }
}
