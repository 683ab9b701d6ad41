// Owns: tests that crafted layer tars can never write outside the target directory.
using System.Formats.Tar;
using Gantry.Oci;
using Gantry.Snapshots;
using Gantry.TestKit;

namespace Gantry.Snapshots.Tests;

public sealed class LayerExtractorSecurityTests
{
    private static byte[] MakeTar(params TarEntry[] entries)
    {
        var ms = new MemoryStream();
        using (var w = new System.Formats.Tar.TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var e in entries)
            {
                w.WriteEntry(e);
            }
        }

        return ms.ToArray();
    }

    private static PaxTarEntry File(string name, string content = "evil") =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) };

    private static PaxTarEntry Link(TarEntryType type, string name, string target) => new(type, name) { LinkName = target };

    public static TheoryData<string> EscapeCases() => ["dotdot", "absolute", "symlink-then-through", "hardlink-out", "planted-dir-symlink", "hardlink-through-symlink"];

    [Theory]
    [MemberData(nameof(EscapeCases))]
    public async Task Crafted_escape_is_rejected_and_nothing_is_written_outside(string kind)
    {
        using var tmp = new TempDirectory("snap-escape");
        var target = tmp.Combine("a", "b", "target");
        var outside = tmp.Combine("outside");
        Directory.CreateDirectory(outside);
        System.IO.File.WriteAllText(Path.Combine(outside, "secret"), "original");
        var absName = tmp.Combine("abs-written");
        var tar = kind switch
        {
            "dotdot" => MakeTar(File("ok"), File("../x"), File("../../x")),
            "absolute" => MakeTar(File(absName)),
            "symlink-then-through" => MakeTar(Link(TarEntryType.SymbolicLink, "link", outside), File("link/secret")),
            "hardlink-out" => MakeTar(Link(TarEntryType.HardLink, "hl", "../../../outside/secret")),
            "planted-dir-symlink" => MakeTar(Link(TarEntryType.SymbolicLink, "d", "../../../outside"), File("d/secret"), File("d/new")),
            "hardlink-through-symlink" => MakeTar(Link(TarEntryType.SymbolicLink, "s", outside), Link(TarEntryType.HardLink, "h", "s/secret")),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        foreach (var mode in new[] { ExtractMode.OverlayLower, ExtractMode.Flatten })
        {
            var ex = await Assert.ThrowsAsync<GantryException>(() => LayerExtractor.ExtractAsync(new MemoryStream(tar), target, new ExtractOptions { Mode = mode, Sync = false }, TestContext.Current.CancellationToken));
            Assert.Contains("entry '", ex.Message, StringComparison.Ordinal);
            Assert.Equal("original", System.IO.File.ReadAllText(Path.Combine(outside, "secret")));
            Assert.Equal(["secret"], Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
            Assert.False(System.IO.File.Exists(tmp.Combine("a", "b", "x")));
            Assert.False(System.IO.File.Exists(tmp.Combine("a", "x")));
            Assert.False(System.IO.File.Exists(absName));
            Assert.True(Gantry.Snapshots.Native.Libc.TryLstat(Path.Combine(outside, "secret"), out var st, out _));
            Assert.Equal(1u, st.Nlink);
            Assert.True(st.IsRegular);
        }
    }

    [Fact]
    public async Task Symlinks_left_by_earlier_layers_are_followed_inside_the_root_only()
    {
        using var tmp = new TempDirectory("snap-confine");
        var target = tmp.Combine("target");
        var outside = tmp.Combine("outside");
        Directory.CreateDirectory(outside);
        Directory.CreateDirectory(target);
        System.IO.File.CreateSymbolicLink(Path.Combine(target, "lib"), "../outside");
        System.IO.File.CreateSymbolicLink(Path.Combine(target, "abs"), outside);
        Directory.CreateDirectory(Path.Combine(target, "usr", "lib"));
        System.IO.File.CreateSymbolicLink(Path.Combine(target, "merged"), "usr/lib");
        var tar = MakeTar(File("lib/file", "a"), File("abs/file2", "b"), File("merged/libc.so", "c"));

        await LayerExtractor.ExtractAsync(new MemoryStream(tar), target, new ExtractOptions { Mode = ExtractMode.Flatten, Sync = false }, TestContext.Current.CancellationToken);

        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Assert.Equal("a", System.IO.File.ReadAllText(Path.Combine(target, "outside", "file")));
        Assert.Equal("b", System.IO.File.ReadAllText(Path.Combine(target, outside.TrimStart('/'), "file2")));
        Assert.Equal("c", System.IO.File.ReadAllText(Path.Combine(target, "usr", "lib", "libc.so")));
    }

    [Fact]
    public async Task Corrupt_tar_gives_a_clear_error()
    {
        using var tmp = new TempDirectory("snap-corrupt");
        var tar = MakeTar(File("a", new string('x', 3000)));
        tar[148] ^= 0x5; // break the header checksum
        var ex = await Assert.ThrowsAsync<GantryException>(() => LayerExtractor.ExtractAsync(new MemoryStream(tar), tmp.Combine("t"), new ExtractOptions { Sync = false, Description = "layer sha256:abc" }, TestContext.Current.CancellationToken));
        Assert.Contains("layer sha256:abc", ex.Message, StringComparison.Ordinal);
        Assert.Contains("checksum", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_diff_id_is_reported()
    {
        using var tmp = new TempDirectory("snap-diffid");
        var tar = MakeTar(File("a"));
        var wrong = Digest.Compute("nope"u8);
        await Assert.ThrowsAsync<DigestMismatchException>(() => LayerExtractor.ExtractAsync(new MemoryStream(tar), tmp.Combine("t"), new ExtractOptions { Sync = false, ExpectedDiffId = wrong }, TestContext.Current.CancellationToken));
    }
}
