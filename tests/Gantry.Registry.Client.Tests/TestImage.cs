// Owns: building small random images (config + incompressible layers + manifest) straight into a blob store for tests.
using System.Security.Cryptography;
using Gantry.Oci;

namespace Gantry.Registry.Client.Tests;

public sealed record TestImage(Descriptor Manifest, byte[] ManifestBytes, Descriptor Config, IReadOnlyList<Descriptor> Layers)
{
    /// <summary>Makes an image whose layers are random bytes of the given sizes (media type configurable, to test bad input).</summary>
    public static async Task<TestImage> CreateAsync(IBlobStore store, int[] layerSizes, string layerMediaType = MediaTypes.OciLayerGzip,
        string manifestMediaType = MediaTypes.OciManifest)
    {
        var layers = new List<Descriptor>();
        foreach (var size in layerSizes)
        {
            var bytes = RandomNumberGenerator.GetBytes(size);
            var d = await store.WriteAsync(bytes);
            layers.Add(new Descriptor { MediaType = layerMediaType, Digest = d, Size = size });
        }

        var config = new ImageConfig
        {
            Created = DateTimeOffset.UtcNow,
            Architecture = Platform.Current.Architecture,
            Os = "linux",
            Config = new ContainerConfig { Cmd = ["/bin/sh"] },
            RootFs = new RootFs { DiffIds = layers.Select(l => l.Digest).ToList() },
        };
        var configBytes = OciJson.Serialize(config);
        var configDigest = await store.WriteAsync(configBytes);
        var configDesc = new Descriptor
        {
            MediaType = manifestMediaType == MediaTypes.DockerManifest ? MediaTypes.DockerConfig : MediaTypes.OciConfig,
            Digest = configDigest,
            Size = configBytes.Length,
        };
        var manifest = new ImageManifest { MediaType = manifestMediaType, Config = configDesc, Layers = layers };
        var manifestBytes = OciJson.Serialize(manifest);
        var md = await store.WriteAsync(manifestBytes);
        return new TestImage(new Descriptor { MediaType = manifestMediaType, Digest = md, Size = manifestBytes.Length }, manifestBytes, configDesc, layers);
    }
}
