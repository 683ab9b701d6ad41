// Owns: tests of DigestHasher and its managed SHA-256 against OpenSSL's, across block and limit boundaries.
using System.Security.Cryptography;
using System.Text;
using Gantry.Oci;

namespace Gantry.Oci.Tests;

public sealed class DigestHasherTests
{
    public static TheoryData<int> Lengths()
    {
        var data = new TheoryData<int>();
        foreach (var n in new[] { 0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096 })
        {
            data.Add(n);
        }

        data.Add(DigestHasher.ManagedLimit - 1);
        data.Add(DigestHasher.ManagedLimit);
        data.Add(DigestHasher.ManagedLimit + 1);
        data.Add((3 * DigestHasher.ManagedLimit) + 17);
        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void One_shot_sha256_equals_OpenSSLs(int length)
    {
        var data = Bytes(length, seed: length);
        Assert.Equal(SHA256.HashData(data), DigestHasher.HashSha256(data));
    }

    [Fact]
    public void Managed_sha256_matches_the_FIPS_180_examples()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Hex("abc"));
        Assert.Equal("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Hex(string.Empty));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Incremental_sha256_in_uneven_pieces_equals_OpenSSLs_and_starts_over_after_a_reset(int length)
    {
        var data = Bytes(length, seed: length + 1);
        using var hasher = new DigestHasher(Digest.Sha256);
        for (var round = 0; round < 2; round++)
        {
            var random = new Random(length);
            var offset = 0;
            while (offset < data.Length)
            {
                var n = Math.Min(data.Length - offset, random.Next(1, 9000));
                hasher.AppendData(data, offset, n);
                offset += n;
                if (offset == data.Length / 2)
                {
                    Assert.Equal(SHA256.HashData(data.AsSpan(0, offset)), hasher.GetCurrentHash());
                }
            }

            Assert.Equal(SHA256.HashData(data), hasher.GetCurrentHash());
            Assert.Equal(SHA256.HashData(data), hasher.GetHashAndReset());
        }

        hasher.AppendData("abc"u8);
        Assert.Equal(SHA256.HashData("abc"u8), hasher.GetHashAndReset());
    }

    [Fact]
    public void Sha512_goes_to_OpenSSL_and_other_algorithms_are_refused()
    {
        var data = Bytes(1000, seed: 7);
        using var hasher = new DigestHasher(Digest.Sha512);
        hasher.AppendData(data);
        Assert.Equal("sha512:" + Convert.ToHexStringLower(SHA512.HashData(data)), hasher.GetDigestAndReset().ToString());
        var e = Assert.Throws<InvalidDigestException>(() => new DigestHasher("md5"));
        Assert.Contains("unsupported digest algorithm 'md5'", e.Message, StringComparison.Ordinal);
    }

    private static string Hex(string text) => Convert.ToHexStringLower(DigestHasher.HashSha256(Encoding.ASCII.GetBytes(text)));

    private static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
