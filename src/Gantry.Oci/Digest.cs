// Owns: content digests ("sha256:<hex>"), validated on construction, computed from bytes or streams.
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gantry.Oci;

/// <summary>A validated OCI content digest such as <c>sha256:9f86d0…</c>.</summary>
[JsonConverter(typeof(DigestJsonConverter))]
public readonly record struct Digest : IComparable<Digest>
{
    public const string Sha256 = "sha256";
    public const string Sha512 = "sha512";

    private Digest(string algorithm, string encoded)
    {
        Algorithm = algorithm;
        Encoded = encoded;
    }

    /// <summary>The algorithm name, e.g. <c>sha256</c>.</summary>
    public string Algorithm { get; }

    /// <summary>The lowercase hex encoding of the hash.</summary>
    public string Encoded { get; }

    /// <summary>The first 12 hex characters, as docker shows image IDs.</summary>
    public string Short => Encoded is null ? string.Empty : Encoded[..Math.Min(12, Encoded.Length)];

    public bool IsDefault => Encoded is null;

    public override string ToString() => Encoded is null ? string.Empty : $"{Algorithm}:{Encoded}";

    public int CompareTo(Digest other) => string.CompareOrdinal(ToString(), other.ToString());

    public static Digest Parse(string value)
    {
        if (TryParse(value, out var digest, out var error))
        {
            return digest;
        }

        throw new InvalidDigestException(value, error);
    }

    public static bool TryParse(string? value, out Digest digest) => TryParse(value, out digest, out _);

    public static bool TryParse(string? value, out Digest digest, out string error)
    {
        digest = default;
        if (string.IsNullOrEmpty(value))
        {
            error = "a digest is 'sha256:' followed by 64 lowercase hex characters";
            return false;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            error = "a digest is 'ALGORITHM:HEX', e.g. 'sha256:' followed by 64 lowercase hex characters";
            return false;
        }

        var algorithm = value[..colon];
        var encoded = value[(colon + 1)..];
        var expectedLength = algorithm switch
        {
            Sha256 => 64,
            Sha512 => 128,
            _ => -1,
        };
        if (expectedLength < 0)
        {
            error = $"unsupported digest algorithm '{algorithm}' (use sha256 or sha512)";
            return false;
        }

        if (encoded.Length != expectedLength)
        {
            error = $"a {algorithm} digest has {expectedLength} hex characters, this one has {encoded.Length}";
            return false;
        }

        foreach (var c in encoded)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                error = $"a {algorithm} digest may only contain lowercase hex characters 0-9 and a-f";
                return false;
            }
        }

        digest = new Digest(algorithm, encoded);
        error = string.Empty;
        return true;
    }

    /// <summary>Builds a digest from an algorithm and raw hash bytes.</summary>
    public static Digest FromHash(string algorithm, ReadOnlySpan<byte> hash) =>
        new(algorithm, Convert.ToHexStringLower(hash));

    public static Digest Compute(ReadOnlySpan<byte> data) => FromHash(Sha256, DigestHasher.HashSha256(data));

    public static Digest Compute(string algorithm, ReadOnlySpan<byte> data) => algorithm switch
    {
        Sha256 => FromHash(Sha256, DigestHasher.HashSha256(data)),
        Sha512 => FromHash(Sha512, SHA512.HashData(data)),
        _ => throw new InvalidDigestException(algorithm, $"unsupported digest algorithm '{algorithm}'"),
    };

    public static async Task<Digest> ComputeAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var hasher = new DigestHasher(Sha256);
        var buffer = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hasher.AppendData(buffer, 0, n);
        }

        return hasher.GetDigestAndReset();
    }

    /// <summary>Creates an incremental hasher for this digest's algorithm.</summary>
    public DigestHasher CreateHasher() => CreateHasher(Algorithm);

    public static DigestHasher CreateHasher(string algorithm) => new(algorithm);
}

/// <summary>Reads and writes digests as JSON strings.</summary>
public sealed class DigestJsonConverter : JsonConverter<Digest>
{
    public override Digest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (!Digest.TryParse(text, out var digest, out var error))
        {
            throw new JsonException($"invalid digest '{text}': {error}");
        }

        return digest;
    }

    public override void Write(Utf8JsonWriter writer, Digest value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}
