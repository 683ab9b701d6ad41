// Owns: store atomicity when a gantry process is killed mid-write, and several gantry processes writing at once.
using System.Diagnostics;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Images;

public sealed class CrashAndConcurrencyTests
{
    [Fact]
    public async Task Killed_mid_write_leaves_no_partial_blob_or_name()
    {
        using var tmp = new TempDirectory("gantry-cli-kill");
        var (cli, _) = ImageCliFixture.WithBusybox(tmp, "busybox");
        var before = ImageCliFixture.Snapshot(cli);
        var ct = TestContext.Current.CancellationToken;

        // `gantry import - big` reading from a pipe we hold open: it streams into a blob under ingest/ and waits for more.
        var psi = new ProcessStartInfo(GantryCli.Executable) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("import");
        psi.ArgumentList.Add("-");
        psi.ArgumentList.Add("big");
        foreach (var (k, v) in cli.Environment)
        {
            psi.Environment[k] = v;
        }

        using var process = Process.Start(psi)!;

        // Six of a tar's eight incompressible MiB: the compressed layer is well past the store's first 1 MiB write buffer.
        var tar = BigTar(8 << 20);
        await process.StandardInput.BaseStream.WriteAsync(tar.AsMemory(0, 6 << 20), ct);
        await process.StandardInput.BaseStream.FlushAsync(ct);

        // Wait until the partial blob is on disk under ingest/.
        var ingest = Path.Combine(cli.StoreRoot, "content", "ingest");
        for (var i = 0; i < 600 && !(Directory.Exists(ingest) && Directory.GetFiles(ingest).Any(f => new FileInfo(f).Length > 0)); i++)
        {
            await Task.Delay(100, ct);
        }

        Assert.True(Directory.GetFiles(ingest).Any(f => new FileInfo(f).Length > 0), "the import never started writing its blob");
        process.Kill();
        await process.WaitForExitAsync(ct);

        // No partial blob, no new name: the store reads exactly as before (the ingest leftover is invisible).
        Assert.Equal(before, ImageCliFixture.Snapshot(cli));
        Assert.Equal(2, ImageCliFixture.Lines(cli.Ok("images")).Length);
        // Every stored blob still verifies, and the store keeps working (GC removes the leftover).
        foreach (var blob in Directory.GetFiles(Path.Combine(cli.StoreRoot, "content", "blobs", "sha256")))
        {
            Assert.Equal(Path.GetFileName(blob), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(blob))));
        }

        cli.Ok("image", "prune", "-f");
        Assert.Empty(Directory.GetFiles(ingest));
        cli.Ok("import", BusyboxRootfs.Get().Tar, "big");
    }

    private static byte[] BigTar(int size)
    {
        using var ms = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(ms, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "big.bin")
            {
                DataStream = new MemoryStream(System.Security.Cryptography.RandomNumberGenerator.GetBytes(size)),
            };
            writer.WriteEntry(entry);
        }

        return ms.ToArray();
    }

    [Fact]
    public async Task Several_processes_tagging_and_importing_at_once()
    {
        using var tmp = new TempDirectory("gantry-cli-concurrent");
        var (cli, id) = ImageCliFixture.WithBusybox(tmp, "base");
        var busybox = BusyboxRootfs.Get();
        var ct = TestContext.Current.CancellationToken;
        var runs = new List<Task<ProcessResult>>();
        for (var i = 0; i < 8; i++)
        {
            runs.Add(cli.RunAsync(["tag", "base", $"tagged{i}:v{i}"], cancellationToken: ct));
        }

        for (var i = 0; i < 3; i++)
        {
            runs.Add(cli.RunAsync(["import", "--change", $"ENV N={i}", busybox.Tar, $"imported{i}"], cancellationToken: ct));
        }

        runs.Add(cli.RunAsync(["image", "prune", "-f"], cancellationToken: ct));
        var results = await Task.WhenAll(runs);
        foreach (var r in results)
        {
            Assert.True(r.ExitCode == 0, r.ToString());
        }

        var tags = ImageCliFixture.Lines(cli.Ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"));
        Assert.Equal(12, tags.Length);
        for (var i = 0; i < 8; i++)
        {
            Assert.Contains($"tagged{i}:v{i} {id[7..19]}", tags);
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal($"[N={i}]\n", cli.Ok("image", "inspect", "-f", "{{.Config.Env}}", $"imported{i}"));
        }
    }
}
