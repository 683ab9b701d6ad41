// Owns: tests of OCI/Docker manifest, index and config JSON shapes.
using System.Text;
using Gantry.Oci;

namespace Gantry.Oci.Tests;

public sealed class ManifestJsonTests
{
    [Fact]
    public void Parses_a_docker_v2_manifest()
    {
        const string json = """
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
             "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,"digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},
             "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":32654,"digest":"sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"}]}
            """;
        var bytes = Encoding.UTF8.GetBytes(json);
        var m = OciJson.ParseManifest(bytes);
        Assert.Equal(MediaTypes.DockerManifest, m.MediaType);
        Assert.Equal(7023, m.Config.Size);
        Assert.Single(m.Layers);
        Assert.Equal(MediaTypes.DockerManifest, OciJson.DetectMediaType(bytes));
    }

    [Fact]
    public void Detects_an_oci_index_without_media_type()
    {
        Assert.Equal(MediaTypes.OciIndex, OciJson.DetectMediaType("""{"schemaVersion":2,"manifests":[]}"""u8));
    }

    [Fact]
    public void Malformed_json_gives_a_clear_error()
    {
        var ex = Assert.Throws<GantryException>(() => OciJson.ParseManifest("{not json"u8, "manifest for busybox:latest"));
        Assert.StartsWith("manifest for busybox:latest is not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_uses_dockers_key_names()
    {
        var config = new ImageConfig
        {
            Config = new ContainerConfig { Cmd = ["node", "app.js"], WorkingDir = "/app", ExposedPorts = new Dictionary<string, EmptyObject> { ["8080/tcp"] = EmptyObject.Instance } },
            RootFs = new RootFs { DiffIds = [Digest.Compute("x"u8)] },
            History = [new HistoryEntry { CreatedBy = "WORKDIR /app", EmptyLayer = true }],
        };
        var json = Encoding.UTF8.GetString(OciJson.Serialize(config));
        Assert.Contains("\"Cmd\":[\"node\",\"app.js\"]", json, StringComparison.Ordinal);
        Assert.Contains("\"ExposedPorts\":{\"8080/tcp\":{}}", json, StringComparison.Ordinal);
        Assert.Contains("\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:", json, StringComparison.Ordinal);
        Assert.Contains("\"empty_layer\":true", json, StringComparison.Ordinal);
        var back = OciJson.ParseConfig(Encoding.UTF8.GetBytes(json));
        Assert.Equal("/app", back.Config!.WorkingDir);
    }

    [Fact]
    public void Parses_docker_nanosecond_timestamps()
    {
        var c = OciJson.ParseConfig("""{"created":"2023-05-02T16:49:27.904763085Z","architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"""u8);
        Assert.Equal(2023, c.Created!.Value.Year);
    }
}
