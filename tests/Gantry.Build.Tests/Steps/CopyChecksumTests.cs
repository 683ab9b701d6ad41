// Owns: tests that a COPY step's checksum is the documented line format (so cache keys stay stable across versions).
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gantry.Build.Context;
using Gantry.Build.Steps;

namespace Gantry.Build.Tests.Steps;

public sealed class CopyChecksumTests
{
    [Fact]
    public void Checksum_is_the_sha256_of_one_line_per_entry()
    {
        var longName = "app/" + new string('x', 3000) + "/é.txt"; // longer than the writer's first buffer, and not ASCII
        PlannedEntry[] entries =
        [
            new() { Path = "app", Kind = PlannedKind.Directory, Mode = 0b111_101_101 },
            new() { Path = "app/a.txt", Kind = PlannedKind.File, Content = "hello"u8.ToArray(), Uid = 1000, Gid = 1000, Mode = 0b110_100_100 },
            new() { Path = "app/link", Kind = PlannedKind.Symlink, LinkTarget = "a.txt", Mode = 0b111_111_111 },
            new() { Path = longName, Kind = PlannedKind.File, ContentHash = SHA256.HashData("given"u8), Mode = 0b110_100_100 },
        ];

        var (checksum, planned) = CopyChecksum.Compute(entries, ContextHashCache.InMemory(), TestContext.Current.CancellationToken);

        var expected = new StringBuilder();
        foreach (var e in entries)
        {
            var hash = e.Kind != PlannedKind.File ? string.Empty : Convert.ToHexStringLower(e.ContentHash ?? SHA256.HashData(e.Content!.Value.Span));
            expected.Append(CultureInfo.InvariantCulture, $"{e.Path}\0{(int)e.Kind}\0{e.Uid}:{e.Gid}\0{e.Mode}\0{e.LinkTarget}\0{hash}\n");
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(expected.ToString()))), checksum);
        Assert.Equal(SHA256.HashData("hello"u8), planned[1].ContentHash);
        Assert.Null(planned[0].ContentHash);
    }
}
