// Owns: computing build-step cache keys as a hash chain (parent key + the step's expanded inputs).
using System.Text;
using Gantry.Oci;

namespace Gantry.Build.Cache;

/// <summary>A step's cache key: sha256 over its parent's key and every input that can change the step's result.</summary>
public readonly record struct CacheKey(string Hex)
{
    /// <summary>The key of a stage that starts from a base image (by its config digest) or from scratch.</summary>
    public static CacheKey ForBase(string baseIdentity) => Compute(default, "FROM", baseIdentity);

    /// <summary>Chains <paramref name="parts"/> onto <paramref name="parent"/>; parts are length-prefixed so no two lists collide.</summary>
    public static CacheKey Compute(CacheKey parent, params ReadOnlySpan<string> parts)
    {
        using var hash = new DigestHasher(Digest.Sha256);
        Append(hash, parent.Hex ?? string.Empty);
        foreach (var part in parts)
        {
            Append(hash, part);
        }

        return new CacheKey(Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static void Append(DigestHasher hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> len = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(len, bytes.Length);
        hash.AppendData(len);
        hash.AppendData(bytes);
    }

    public override string ToString() => Hex;
}
