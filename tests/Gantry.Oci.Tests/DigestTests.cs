// Owns: tests of Digest parsing, validation and computation.
using System.Text;
using Gantry.Oci;

namespace Gantry.Oci.Tests;

public sealed class DigestTests
{
    private const string HelloSha256 = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    [Fact]
    public void Computes_sha256_of_bytes()
    {
        Assert.Equal(HelloSha256, Digest.Compute(Encoding.UTF8.GetBytes("hello")).ToString());
    }

    [Fact]
    public void Parse_round_trips_and_exposes_parts()
    {
        var d = Digest.Parse(HelloSha256);
        Assert.Equal("sha256", d.Algorithm);
        Assert.Equal("2cf24dba5fb0", d.Short);
        Assert.Equal(HelloSha256, d.ToString());
    }

    [Theory]
    [InlineData("", "64 lowercase hex")]
    [InlineData("2cf24dba", "ALGORITHM:HEX")]
    [InlineData("md5:abc", "unsupported digest algorithm 'md5'")]
    [InlineData("sha256:abc", "has 64 hex characters, this one has 3")]
    [InlineData("sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824", "lowercase hex")]
    public void Rejects_invalid_digests_with_the_rule(string value, string expected)
    {
        var ex = Assert.Throws<InvalidDigestException>(() => Digest.Parse(value));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_sha512()
    {
        var d = Digest.Compute(Digest.Sha512, "hello"u8);
        Assert.Equal(d, Digest.Parse(d.ToString()));
        Assert.Equal(128, d.Encoded.Length);
    }
}
