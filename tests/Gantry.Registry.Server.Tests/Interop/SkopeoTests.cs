// Owns: skopeo interop: copying busybox to and from the registry in both manifest formats, and registry to registry.
using System.Net;
using System.Text.Json;
using Gantry.Oci;
using Gantry.TestKit;

namespace Gantry.Registry.Server.Tests.Interop;

public sealed class SkopeoTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static ProcessResult Skopeo(params string[] args)
    {
        var skopeo = Requires.Command("skopeo");
        var result = ProcessRunner.Run(skopeo, ["--insecure-policy", .. args], timeout: TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, $"skopeo {string.Join(' ', args)}: {result}");
        return result;
    }

    [Theory]
    [InlineData("oci", MediaTypes.OciManifest)]
    [InlineData("v2s2", MediaTypes.DockerManifest)]
    public async Task Skopeo_copies_busybox_in_and_out(string format, string mediaType)
    {
        Requires.Command("skopeo");
        using var dir = new TempDirectory("gantry-skopeo");
        var (_, layer) = OciLayoutFixture.Write(dir.Combine("src"));
        await using var r = await TestRegistry.StartAsync();
        var image = $"docker://{r.Server.HostPort}/interop/busybox:{format}";
        Skopeo("copy", "--dest-tls-verify=false", "--format", format, $"oci:{dir.Combine("src")}:latest", image);

        using var resp = await r.Client.GetAsync($"/v2/interop/busybox/manifests/{format}", Ct);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal(mediaType, resp.Content.Headers.ContentType!.MediaType);
        using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync(Ct));
        Assert.Equal(layer.ToString(), doc.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString());

        var inspect = Skopeo("inspect", "--tls-verify=false", image);
        Assert.Contains(layer.ToString(), inspect.StdOut, StringComparison.Ordinal);

        Skopeo("copy", "--src-tls-verify=false", image, $"oci:{dir.Combine("out")}:copy");
        Assert.True(File.Exists(dir.Combine("out", "blobs", "sha256", layer.Encoded)));
        Assert.Equal(File.ReadAllBytes(BusyboxRootfs.Get().TarGz), File.ReadAllBytes(dir.Combine("out", "blobs", "sha256", layer.Encoded)));
    }

    [Fact]
    public async Task Skopeo_copies_between_gantry_and_docker_registry_both_ways()
    {
        Requires.Command("skopeo");
        using var dir = new TempDirectory("gantry-skopeo");
        OciLayoutFixture.Write(dir.Combine("src"));
        using var distribution = DistributionRegistry.StartPlain();
        await using var r = await TestRegistry.StartAsync();
        Skopeo("copy", "--dest-tls-verify=false", "--format", "v2s2", $"oci:{dir.Combine("src")}:latest", $"docker://{distribution.Host}/x/busybox:1");
        Skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", $"docker://{distribution.Host}/x/busybox:1", $"docker://{r.Server.HostPort}/y/busybox:1");
        Skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", $"docker://{r.Server.HostPort}/y/busybox:1", $"docker://{distribution.Host}/z/busybox:2");
        var a = Skopeo("inspect", "--raw", "--tls-verify=false", $"docker://{distribution.Host}/x/busybox:1").StdOut;
        var b = Skopeo("inspect", "--raw", "--tls-verify=false", $"docker://{r.Server.HostPort}/y/busybox:1").StdOut;
        var c = Skopeo("inspect", "--raw", "--tls-verify=false", $"docker://{distribution.Host}/z/busybox:2").StdOut;
        Assert.Equal(a, b);
        Assert.Equal(b, c);
        var tags = Skopeo("list-tags", "--tls-verify=false", $"docker://{r.Server.HostPort}/y/busybox").StdOut;
        Assert.Contains("\"1\"", tags, StringComparison.Ordinal);
    }
}
