// Owns: tests of docker cp's path rules and of confinement: container paths (and tar entries) never reach host files.
using System.Formats.Tar;
using Gantry.Oci;
using Gantry.Runtime.Copy;
using Gantry.TestKit;

namespace Gantry.Runtime.Tests.Copy;

public sealed class ContainerCopyTests : IDisposable
{
    private readonly TempDirectory temp = new("gantry-cp");
    private readonly FsRoot ctr;
    private readonly string root;
    private readonly string host;

    public ContainerCopyTests()
    {
        root = temp.Combine("root");
        host = temp.Combine("host");
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Directory.CreateDirectory(Path.Combine(root, "data", "sub"));
        Directory.CreateDirectory(host);
        File.WriteAllText(Path.Combine(root, "etc", "motd"), "hello from ctr\n");
        File.WriteAllText(Path.Combine(root, "data", "a.txt"), "A");
        File.WriteAllText(Path.Combine(root, "data", "sub", "b.txt"), "B");
        File.CreateSymbolicLink(Path.Combine(root, "data", "link"), "a.txt");
        ctr = new FsRoot(root, "ctr", isContainer: true);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task File_out_to_a_new_name_into_a_dir_and_onto_a_file()
    {
        await ContainerCopy.CopyAsync(ctr, "/etc/motd", FsRoot.Host, Path.Combine(host, "m1"), new CopyOptions(), Ct);
        Assert.Equal("hello from ctr\n", File.ReadAllText(Path.Combine(host, "m1")));

        await ContainerCopy.CopyAsync(ctr, "/etc/motd", FsRoot.Host, host, new CopyOptions(), Ct);
        Assert.Equal("hello from ctr\n", File.ReadAllText(Path.Combine(host, "motd")));

        File.WriteAllText(Path.Combine(host, "m1"), "old, longer content");
        await ContainerCopy.CopyAsync(ctr, "/etc/motd", FsRoot.Host, Path.Combine(host, "m1"), new CopyOptions(), Ct);
        Assert.Equal("hello from ctr\n", File.ReadAllText(Path.Combine(host, "m1")));
    }

    [Fact]
    public async Task Directory_rules_new_name_into_existing_and_contents_only()
    {
        await ContainerCopy.CopyAsync(ctr, "/data", FsRoot.Host, Path.Combine(host, "new"), new CopyOptions(), Ct);
        Assert.Equal("B", File.ReadAllText(Path.Combine(host, "new", "sub", "b.txt")));
        Assert.Equal("a.txt", new FileInfo(Path.Combine(host, "new", "link")).LinkTarget);

        Directory.CreateDirectory(Path.Combine(host, "existing"));
        await ContainerCopy.CopyAsync(ctr, "/data", FsRoot.Host, Path.Combine(host, "existing"), new CopyOptions(), Ct);
        Assert.Equal("A", File.ReadAllText(Path.Combine(host, "existing", "data", "a.txt")));

        Directory.CreateDirectory(Path.Combine(host, "contents"));
        await ContainerCopy.CopyAsync(ctr, "/data/.", FsRoot.Host, Path.Combine(host, "contents"), new CopyOptions(), Ct);
        Assert.Equal("A", File.ReadAllText(Path.Combine(host, "contents", "a.txt")));
        Assert.False(Directory.Exists(Path.Combine(host, "contents", "data")));
    }

    [Fact]
    public async Task Bad_destinations_fail_with_clear_errors()
    {
        var missingParent = await Assert.ThrowsAsync<GantryException>(() => ContainerCopy.CopyAsync(ctr, "/etc/motd", FsRoot.Host, Path.Combine(host, "no", "such"), new CopyOptions(), Ct));
        Assert.Contains("parent directory", missingParent.Message, StringComparison.Ordinal);

        var dirMustExist = await Assert.ThrowsAsync<GantryException>(() => ContainerCopy.CopyAsync(ctr, "/etc/motd", FsRoot.Host, Path.Combine(host, "nodir") + "/", new CopyOptions(), Ct));
        Assert.Contains("must exist", dirMustExist.Message, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(host, "file"), "x");
        var dirOntoFile = await Assert.ThrowsAsync<GantryException>(() => ContainerCopy.CopyAsync(ctr, "/data", FsRoot.Host, Path.Combine(host, "file"), new CopyOptions(), Ct));
        Assert.Contains("cannot copy a directory to a file", dirOntoFile.Message, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<GantryException>(() => ContainerCopy.CopyAsync(ctr, "/nope", FsRoot.Host, host, new CopyOptions(), Ct));
        Assert.Equal("Could not find the file /nope in container ctr", missing.Message);

        var missingInCtr = await Assert.ThrowsAsync<GantryException>(() => ContainerCopy.CopyAsync(FsRoot.Host, Path.Combine(host, "file"), ctr, "/no/such", new CopyOptions(), Ct));
        Assert.Contains("Could not find the file /no in container ctr", missingInCtr.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Copy_in_owns_files_by_root_unless_archive_mode()
    {
        Requires.Root();
        var src = Path.Combine(host, "owned.txt");
        File.WriteAllText(src, "o");
        File.SetUnixFileMode(src, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal(0, ProcessRunner.Run("chown", ["1234:2345", src]).ExitCode);
        await ContainerCopy.CopyAsync(FsRoot.Host, src, ctr, "/etc/", new CopyOptions(), Ct);
        Assert.Equal("0:0", Owner(Path.Combine(root, "etc", "owned.txt")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(root, "etc", "owned.txt")));
        await ContainerCopy.CopyAsync(FsRoot.Host, src, ctr, "/etc/owned2", new CopyOptions { Ownership = CopyOwnership.Archive }, Ct);
        Assert.Equal("1234:2345", Owner(Path.Combine(root, "etc", "owned2")));
    }

    [Fact]
    public async Task Symlinks_to_root_or_dotdot_stay_inside_the_container_when_reading()
    {
        var outside = temp.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret"), "host secret");
        File.CreateSymbolicLink(Path.Combine(root, "toroot"), "/");
        File.CreateSymbolicLink(Path.Combine(root, "up"), "../../../../../../..");
        File.CreateSymbolicLink(Path.Combine(root, "abs"), outside);
        File.CreateSymbolicLink(Path.Combine(root, "rel"), "../outside");

        foreach (var path in new[] { "/toroot" + outside + "/secret", "/up" + outside + "/secret", "/abs/secret", "/rel/secret", "/../outside/secret" })
        {
            var ex = await Assert.ThrowsAsync<GantryException>(() => ContainerCopy.CopyAsync(ctr, path, FsRoot.Host, Path.Combine(host, "leak"), new CopyOptions(), Ct));
            Assert.StartsWith("Could not find the file", ex.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(host, "leak")));
        }

        // following a link to "/" reads the container's root, not the host's
        await ContainerCopy.CopyAsync(ctr, "/toroot/etc/motd", FsRoot.Host, Path.Combine(host, "via-link"), new CopyOptions { FollowLink = true }, Ct);
        Assert.Equal("hello from ctr\n", File.ReadAllText(Path.Combine(host, "via-link")));

        // without -L a symlink source is copied as the link itself
        await ContainerCopy.CopyAsync(ctr, "/abs", FsRoot.Host, Path.Combine(host, "abs-copy"), new CopyOptions(), Ct);
        Assert.Equal(outside, new FileInfo(Path.Combine(host, "abs-copy")).LinkTarget);

        // a link inside a copied tree is stored, never followed out of the container
        await ContainerCopy.CopyAsync(ctr, "/", FsRoot.Host, Path.Combine(host, "whole"), new CopyOptions(), Ct);
        Assert.False(File.Exists(Path.Combine(host, "whole", "abs", "secret")) && new FileInfo(Path.Combine(host, "whole", "abs")).LinkTarget is null);
    }

    [Fact]
    public async Task Symlinks_to_root_or_dotdot_stay_inside_the_container_when_writing()
    {
        var outside = temp.Combine("outside");
        Directory.CreateDirectory(outside);
        File.CreateSymbolicLink(Path.Combine(root, "toroot"), "/");
        File.CreateSymbolicLink(Path.Combine(root, "up"), "../../../../../../..");
        File.CreateSymbolicLink(Path.Combine(root, "abs"), outside);
        File.CreateSymbolicLink(Path.Combine(root, "file-link"), outside + "/planted");
        var src = Path.Combine(host, "payload");
        File.WriteAllText(src, "payload");

        // the link's target is recreated inside the container root
        Directory.CreateDirectory(root + outside);
        await ContainerCopy.CopyAsync(FsRoot.Host, src, ctr, "/abs/", new CopyOptions(), Ct);
        await ContainerCopy.CopyAsync(FsRoot.Host, src, ctr, "/toroot" + outside + "/", new CopyOptions(), Ct);
        await ContainerCopy.CopyAsync(FsRoot.Host, src, ctr, "/up" + outside + "/", new CopyOptions(), Ct);
        await ContainerCopy.CopyAsync(FsRoot.Host, src, ctr, "/file-link", new CopyOptions(), Ct);
        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Assert.Equal("payload", File.ReadAllText(root + outside + "/payload"));
        Assert.Equal("payload", File.ReadAllText(root + outside + "/planted"));
    }

    [Fact]
    public async Task Tar_stream_round_trip_and_crafted_entries_are_confined()
    {
        using var ms = new MemoryStream();
        await ContainerCopy.WriteArchiveAsync(ctr, "/data", ms, new CopyOptions(), Ct);
        ms.Position = 0;
        var names = new List<string>();
        using (var reader = new TarReader(ms, leaveOpen: true))
        {
            while (reader.GetNextEntry() is { } e)
            {
                names.Add(e.Name);
            }
        }

        Assert.Equal(["data/", "data/a.txt", "data/link", "data/sub/", "data/sub/b.txt"], names);
        ms.Position = 0;
        Directory.CreateDirectory(Path.Combine(root, "restore"));
        await ContainerCopy.ExtractArchiveAsync(ms, ctr, "/restore", new CopyOptions(), Ct);
        Assert.Equal("B", File.ReadAllText(Path.Combine(root, "restore", "data", "sub", "b.txt")));

        var outside = temp.Combine("outside");
        Directory.CreateDirectory(outside);

        // a symlink entry pointing out, then a file through it: lands inside the root
        var planted = await TarOf(Ct, ("escape", outside, TarEntryType.SymbolicLink), ("escape/pwned", "x", TarEntryType.RegularFile));
        await ContainerCopy.ExtractArchiveAsync(planted, ctr, "/", new CopyOptions(), Ct);
        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Assert.True(File.Exists(root + outside + "/pwned"));

        // ".." climbing out of the destination is refused
        var dotdot = await TarOf(Ct, ("../../outside/evil", "x", TarEntryType.RegularFile));
        var ex = await Assert.ThrowsAsync<GantryException>(() => ContainerCopy.ExtractArchiveAsync(dotdot, ctr, "/etc", new CopyOptions(), Ct));
        Assert.Contains("outside the destination", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(outside));

        // a hard link to a host file is resolved inside the root
        var hard = await TarOf(Ct, ("h", outside + "/x", TarEntryType.HardLink));
        await Assert.ThrowsAsync<GantryException>(() => ContainerCopy.ExtractArchiveAsync(hard, ctr, "/", new CopyOptions(), Ct));

        var notDir = await Assert.ThrowsAsync<GantryException>(() => ContainerCopy.ExtractArchiveAsync(new MemoryStream(), ctr, "/etc/motd", new CopyOptions(), Ct));
        Assert.Contains("not a directory", notDir.Message, StringComparison.Ordinal);
    }

    private static async Task<MemoryStream> TarOf(CancellationToken ct, params (string Name, string Value, TarEntryType Type)[] entries)
    {
        var ms = new MemoryStream();
        await using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, value, type) in entries)
            {
                var e = new PaxTarEntry(type, name);
                if (type is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                {
                    e.LinkName = value;
                }
                else
                {
                    e.DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(value));
                }

                await w.WriteEntryAsync(e, ct);
            }
        }

        ms.Position = 0;
        return ms;
    }

    private static string Owner(string path) => ProcessRunner.Run("stat", ["-c", "%u:%g", path]).StdOut.Trim();
}
