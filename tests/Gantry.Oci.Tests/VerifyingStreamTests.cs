// Owns: tests that VerifyingStream accepts exact content and rejects truncated, padded or altered content.
using Gantry.Oci;

namespace Gantry.Oci.Tests;

public sealed class VerifyingStreamTests
{
    private static readonly byte[] Content = "layer bytes"u8.ToArray();

    [Fact]
    public async Task Passes_matching_content()
    {
        using var s = new VerifyingStream(new MemoryStream(Content), Digest.Compute(Content), Content.Length);
        using var sink = new MemoryStream();
        await s.CopyToAsync(sink, TestContext.Current.CancellationToken);
        Assert.Equal(Content, sink.ToArray());
    }

    [Fact]
    public async Task Rejects_truncated_content()
    {
        using var s = new VerifyingStream(new MemoryStream(Content[..5]), Digest.Compute(Content), Content.Length);
        var ex = await Assert.ThrowsAsync<DigestMismatchException>(() => s.CopyToAsync(Stream.Null, TestContext.Current.CancellationToken));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejects_altered_content()
    {
        var altered = (byte[])Content.Clone();
        altered[0] ^= 1;
        using var s = new VerifyingStream(new MemoryStream(altered), Digest.Compute(Content), Content.Length);
        await Assert.ThrowsAsync<DigestMismatchException>(() => s.CopyToAsync(Stream.Null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Rejects_extra_content()
    {
        using var s = new VerifyingStream(new MemoryStream([.. Content, 1]), Digest.Compute(Content), Content.Length);
        await Assert.ThrowsAsync<DigestMismatchException>(() => s.CopyToAsync(Stream.Null, TestContext.Current.CancellationToken));
    }
}
