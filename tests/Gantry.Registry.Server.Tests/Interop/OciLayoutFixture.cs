// Owns: a hand-made OCI image layout of the test kit's busybox rootfs, as a source for skopeo copies.
using System.Text;
using Gantry.Oci;
using Gantry.TestKit;

namespace Gantry.Registry.Server.Tests.Interop;

/// <summary>Writes <c>oci-layout</c>, <c>index.json</c> (ref "latest") and the three blobs of a one-layer busybox image.</summary>
public static class OciLayoutFixture
{
    public static (Digest Manifest, Digest Layer) Write(string dir)
    {
        var rootfs = BusyboxRootfs.Get();
        var blobs = Path.Combine(dir, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        var layer = File.ReadAllBytes(rootfs.TarGz);
        var tar = File.ReadAllBytes(rootfs.Tar);
        var layerDigest = Digest.Compute(layer);
        File.WriteAllBytes(Path.Combine(blobs, layerDigest.Encoded), layer);
        var config = OciJson.Serialize(new ImageConfig
        {
            Architecture = Platform.Current.Architecture,
            Os = "linux",
            Config = new ContainerConfig { Cmd = ["sh"], Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
            RootFs = new RootFs { DiffIds = [Digest.Compute(tar)] },
        });
        var configDigest = Digest.Compute(config);
        File.WriteAllBytes(Path.Combine(blobs, configDigest.Encoded), config);
        var manifest = OciJson.Serialize(new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = configDigest, Size = config.Length },
            Layers = [new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = layerDigest, Size = layer.Length }],
        });
        var manifestDigest = Digest.Compute(manifest);
        File.WriteAllBytes(Path.Combine(blobs, manifestDigest.Encoded), manifest);
        File.WriteAllText(Path.Combine(dir, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        File.WriteAllText(Path.Combine(dir, "index.json"), new StringBuilder()
            .Append("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"").Append(MediaTypes.OciManifest)
            .Append("\",\"digest\":\"").Append(manifestDigest).Append("\",\"size\":").Append(manifest.Length)
            .Append(",\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"}}]}").ToString());
        return (manifestDigest, layerDigest);
    }
}
