// Owns: small helpers for content-store tests: a temp store and a tiny image made of random layers.
using System.Security.Cryptography;
using Gantry.Oci;
using Gantry.Reference;
using Gantry.TestKit;

namespace Gantry.Content.Tests;

internal static class StoreFixture
{
    public static async Task<Image> MakeImageAsync(ImageStore store, string? name, int layers = 1, string? marker = null, CancellationToken ct = default)
    {
        var descriptors = new List<Descriptor>();
        var diffIds = new List<Digest>();
        for (var i = 0; i < layers; i++)
        {
            var bytes = RandomNumberGenerator.GetBytes(1024 + i);
            var d = await store.Blobs.WriteAsync(MediaTypes.OciLayer, bytes, ct);
            descriptors.Add(d);
            diffIds.Add(d.Digest);
        }

        var config = new ImageConfig
        {
            Created = DateTimeOffset.UtcNow,
            Author = marker,
            RootFs = new RootFs { DiffIds = diffIds },
        };
        return await store.CreateImageAsync(config, descriptors, name is null ? [] : [ImageReference.Parse(name)], ct);
    }

    public static string[] BlobFiles(ImageStore store) =>
        [.. Directory.EnumerateFiles(Path.Combine(store.ContentDirectory, "blobs"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    public static TempDirectory Temp() => new("gantry-content");
}
