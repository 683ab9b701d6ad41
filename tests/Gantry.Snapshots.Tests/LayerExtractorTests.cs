// Owns: tests of unpacking real layer tars: the busybox rootfs, compression formats, whiteouts, hard links, xattrs, devices.
using System.Formats.Tar;
using Gantry.Oci;
using Gantry.Snapshots.Native;
using Gantry.TestKit;

namespace Gantry.Snapshots.Tests;

public sealed class LayerExtractorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static byte[] MakeTar(params TarEntry[] entries)
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

    internal static PaxTarEntry Reg(string name, string content = "") =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) };

    internal static PaxTarEntry Dir(string name) => new(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 };

    [Theory]
    [InlineData("tar")]
    [InlineData("tar.gz")]
    [InlineData("tar.zst")]
    public async Task Busybox_rootfs_unpacks_identically_in_every_compression(string format)
    {
        var busybox = BusyboxRootfs.Get();
        using var tmp = new TempDirectory("snap-busybox");
        var layer = format switch
        {
            "tar" => busybox.Tar,
            "tar.gz" => busybox.TarGz,
            _ => Zstd(busybox.Tar, tmp.Combine("rootfs.tar.zst")),
        };
        var expectedDiffId = await Digest.ComputeAsync(System.IO.File.OpenRead(busybox.Tar), Ct);

        var result = await LayerExtractor.ExtractFileAsync(layer, tmp.Combine("out"), new ExtractOptions { ExpectedDiffId = expectedDiffId }, Ct);

        Assert.Equal(expectedDiffId, result.DiffId);
        Assert.True(result.Entries > 100);
        TreeSnapshot.AssertSame(busybox.RootfsDir, tmp.Combine("out"));
        Assert.Equal("1777", ProcessRunner.Run("stat", ["-c", "%a", tmp.Combine("out", "tmp")]).StdOut.Trim());
        Assert.Equal("busybox", new FileInfo(tmp.Combine("out", "bin", "sh")).LinkTarget);
        Assert.Equal("1700000000", ProcessRunner.Run("stat", ["-c", "%Y", tmp.Combine("out", "bin")]).StdOut.Trim());
    }

    private static string Zstd(string tar, string output)
    {
        using (var input = System.IO.File.OpenRead(tar))
        using (var file = System.IO.File.Create(output))
        using (var z = new ZstdSharp.CompressionStream(file, 3))
        {
            input.CopyTo(z);
        }

        return output;
    }

    [Fact]
    public async Task Flatten_applies_whiteouts_and_opaque_dirs_by_deleting()
    {
        using var tmp = new TempDirectory("snap-flat");
        var target = tmp.Combine("root");
        var lower = MakeTar(Dir("a"), Reg("a/b", "b"), Reg("a/c", "c"), Dir("d"), Reg("d/e", "e"), Dir("d/sub"), Reg("d/sub/x"), Reg("f", "f"));
        var upper = MakeTar(Reg("a/.wh.b"), Reg(".wh.f"), Dir("d"), Reg("d/.wh..wh..opq"), Reg("d/new", "n"), Reg(".wh.missing"));
        await LayerExtractor.ExtractAsync(new MemoryStream(lower), target, new ExtractOptions { Mode = ExtractMode.Flatten, Sync = false }, Ct);
        await LayerExtractor.ExtractAsync(new MemoryStream(upper), target, new ExtractOptions { Mode = ExtractMode.Flatten, Sync = false }, Ct);

        Assert.Equal(["a", "a/c", "d", "d/new"], TreeSnapshot.Describe(target).Keys);
    }

    [Fact]
    public async Task Whiteouts_can_be_kept_as_plain_files_for_add()
    {
        using var tmp = new TempDirectory("snap-add");
        var target = tmp.Combine("root");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "f"), "keep");
        var tar = MakeTar(Reg(".wh.f", "literal"));
        await LayerExtractor.ExtractAsync(new MemoryStream(tar), target, new ExtractOptions { Mode = ExtractMode.Flatten, ApplyWhiteouts = false, Sync = false }, Ct);
        Assert.Equal("keep", File.ReadAllText(Path.Combine(target, "f")));
        Assert.Equal("literal", File.ReadAllText(Path.Combine(target, ".wh.f")));
    }

    [Fact]
    public async Task Overlay_lower_mode_writes_overlay_whiteouts_and_opaque_xattr()
    {
        Requires.Root();
        using var tmp = new TempDirectory("snap-ovl");
        var target = tmp.Combine("layer");
        var upper = MakeTar(Reg("a/.wh.b"), Reg(".wh.f"), Dir("d"), Reg("d/.wh..wh..opq"), Reg("d/new", "n"));
        await LayerExtractor.ExtractAsync(new MemoryStream(upper), target, new ExtractOptions { Sync = false }, Ct);

        foreach (var wh in new[] { "a/b", "f" })
        {
            Assert.True(Libc.TryLstat(Path.Combine(target, wh), out var st, out _));
            Assert.Equal(Libc.SIfChr, st.Type);
            Assert.Equal((0u, 0u), (st.RdevMajor, st.RdevMinor));
        }

        Assert.Equal("y"u8.ToArray(), Xattrs.Get(Path.Combine(target, "d"), "trusted.overlay.opaque"));
        Assert.Null(Xattrs.Get(Path.Combine(target, "a"), "trusted.overlay.opaque"));
        Assert.False(System.IO.File.Exists(Path.Combine(target, "d", ".wh..wh..opq")));
    }

    [Fact]
    public async Task Hard_links_ownership_modes_devices_and_xattrs_are_kept()
    {
        Requires.Root();
        using var tmp = new TempDirectory("snap-meta");
        var cap = new byte[] { 0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
        var writer = new LayerWriter(new LayerWriteOptions { Compression = Compression.Gzip });
        writer.AddDirectory("bin", uid: 0, gid: 0, mode: 0b111_101_101);
        writer.Add(new LayerEntry { Path = "bin/ping", Content = "ELF"u8.ToArray(), Uid = 0, Gid = 0, Mode = 0b100_111_101_101, Xattrs = new Dictionary<string, byte[]> { ["security.capability"] = cap, ["user.note"] = "hi"u8.ToArray() } });
        writer.Add(new LayerEntry { Path = "bin/ping2", Kind = LayerEntryKind.HardLink, LinkTarget = "bin/ping" });
        writer.AddDirectory("tmp", mode: 0b1_111_111_111);
        writer.AddBytes("home/user/file", "u"u8.ToArray(), uid: 1000, gid: 1001, mode: 0b110_000_000);
        var blob = new MemoryStream();
        await writer.WriteAsync(blob, Ct);
        blob.Position = 0;
        var target = tmp.Combine("out");
        await LayerExtractor.ExtractAsync(blob, target, new ExtractOptions { Sync = false }, Ct);

        Assert.True(Libc.TryLstat(Path.Combine(target, "bin/ping"), out var ping, out _));
        Assert.True(Libc.TryLstat(Path.Combine(target, "bin/ping2"), out var ping2, out _));
        Assert.Equal(ping.Ino, ping2.Ino);
        Assert.Equal(2u, ping.Nlink);
        Assert.Equal(0b100_111_101_101, ping.Mode & 0xFFF);
        Assert.Equal(cap, Xattrs.Get(Path.Combine(target, "bin/ping"), "security.capability"));
        Assert.Equal("hi"u8.ToArray(), Xattrs.Get(Path.Combine(target, "bin/ping"), "user.note"));
        Assert.True(Libc.TryLstat(Path.Combine(target, "tmp"), out var t, out _));
        Assert.Equal(0b1_111_111_111, t.Mode & 0xFFF);
        Assert.True(Libc.TryLstat(Path.Combine(target, "home/user/file"), out var f, out _));
        Assert.Equal((1000u, 1001u, 0b110_000_000), (f.Uid, f.Gid, f.Mode & 0xFFF));

        var devices = MakeTar(
            new PaxTarEntry(TarEntryType.CharacterDevice, "dev/null") { DeviceMajor = 1, DeviceMinor = 3, Mode = (UnixFileMode)0b110_110_110 },
            new PaxTarEntry(TarEntryType.Fifo, "run/fifo") { Mode = (UnixFileMode)0b110_100_100 });
        await LayerExtractor.ExtractAsync(new MemoryStream(devices), target, new ExtractOptions { Sync = false }, Ct);
        Assert.True(Libc.TryLstat(Path.Combine(target, "dev/null"), out var dn, out _));
        Assert.Equal((Libc.SIfChr, 1u, 3u, 0b110_110_110), (dn.Type, dn.RdevMajor, dn.RdevMinor, dn.Mode & 0xFFF));
        Assert.True(Libc.TryLstat(Path.Combine(target, "run/fifo"), out var fifo, out _));
        Assert.Equal(Libc.SIfIfo, fifo.Type);
    }

    [Fact]
    public async Task Later_entries_replace_earlier_ones_of_another_type()
    {
        using var tmp = new TempDirectory("snap-replace");
        var target = tmp.Combine("root");
        var tar = MakeTar(Dir("x"), Reg("x/inner", "i"), Reg("x", "now a file"), new PaxTarEntry(TarEntryType.SymbolicLink, "y") { LinkName = "x" }, Reg("y", "file again"));
        await LayerExtractor.ExtractAsync(new MemoryStream(tar), target, new ExtractOptions { Mode = ExtractMode.Flatten, Sync = false }, Ct);
        Assert.Equal("now a file", System.IO.File.ReadAllText(Path.Combine(target, "x")));
        Assert.Equal("file again", System.IO.File.ReadAllText(Path.Combine(target, "y")));
        Assert.Null(new FileInfo(Path.Combine(target, "y")).LinkTarget);
    }
}
