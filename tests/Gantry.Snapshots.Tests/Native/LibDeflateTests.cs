// Owns: tests of the libdeflate binding: members that every gzip reader takes, at every level, the same bytes each time.
using System.IO.Compression;
using Gantry.Snapshots.Native;
using Gantry.TestKit;

namespace Gantry.Snapshots.Tests.Native;

public sealed class LibDeflateTests
{
    private static byte[] Text(int size)
    {
        var words = "layer chunk member gzip deflate overlay snapshot\n"u8;
        var data = new byte[size];
        var x = 12345u;
        for (var i = 0; i < size; i++)
        {
            x = (x * 1103515245) + 12345;
            data[i] = (x >> 28) == 0 ? (byte)(x >> 16) : words[i % words.Length];
        }

        return data;
    }

    private static byte[] Gunzip(ReadOnlySpan<byte> member)
    {
        using var input = new GZipStream(new MemoryStream(member.ToArray()), CompressionMode.Decompress);
        var plain = new MemoryStream();
        input.CopyTo(plain);
        return plain.ToArray();
    }

    [Fact]
    public void Is_loaded_where_scripts_install_deps_installed_libdeflate0()
    {
        // scripts/install-deps.sh installs libdeflate0; without it layers are still gzip (zlib-ng), only slower.
        Assert.True(LibDeflate.IsAvailable, "libdeflate.so.0 did not load: run scripts/install-deps.sh (apt package libdeflate0)");
        Assert.StartsWith("libdeflate-", LibDeflate.EngineName, StringComparison.Ordinal);
        Assert.Equal(LibDeflate.EngineName, LibDeflate.EngineName);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(6, 1)]
    [InlineData(6, 300_000)]
    [InlineData(9, 70_000)]
    [InlineData(12, 20_000)]
    public void A_member_at_any_level_is_one_gzip_member_of_the_input(int level, int size)
    {
        var data = Text(size);
        var output = new byte[LibDeflate.Bound(size)];

        var length = LibDeflate.GzipCompress(level, data, output);
        var again = new byte[LibDeflate.Bound(size)];
        var lengthAgain = LibDeflate.GzipCompress(level, data, again);

        Assert.Equal(output.AsSpan(0, length).ToArray(), again.AsSpan(0, lengthAgain).ToArray());
        Assert.Equal(data, Gunzip(output.AsSpan(0, length)));
        Assert.Equal(new byte[] { 0x1f, 0x8b, 8 }, output.AsSpan(0, 3).ToArray());
    }

    [Fact]
    public void Random_bytes_fit_the_bound_and_gnu_gzip_reads_the_member()
    {
        var data = new byte[200_000];
        new Random(7).NextBytes(data);
        var output = new byte[LibDeflate.Bound(data.Length)];

        var length = LibDeflate.GzipCompress(6, data, output);

        using var tmp = new TempDirectory("snap-libdeflate");
        var file = tmp.Combine("x.gz");
        File.WriteAllBytes(file, output.AsSpan(0, length).ToArray());
        Assert.Equal(0, ProcessRunner.Run("gzip", ["-t", file]).ExitCode);
        Assert.Equal(data, Gunzip(output.AsSpan(0, length)));
    }

    [Fact]
    public void A_too_small_output_buffer_is_refused_before_calling_the_library()
    {
        var data = Text(10_000);
        Assert.Throws<ArgumentOutOfRangeException>(() => LibDeflate.GzipCompress(6, data, new byte[100]));
        Assert.Throws<ArgumentOutOfRangeException>(() => LibDeflate.GzipCompress(13, data, new byte[LibDeflate.Bound(data.Length)]));
    }
}
