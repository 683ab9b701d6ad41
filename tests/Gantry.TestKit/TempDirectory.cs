// Owns: per-test scratch directories that are removed afterwards (even when they hold read-only files).
namespace Gantry.TestKit;

public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string? prefix = null)
    {
        var baseDir = Environment.GetEnvironmentVariable("GANTRY_TEST_TMP") ?? Path.GetTempPath();
        FullPath = Path.Combine(Path.GetFullPath(baseDir), $"{prefix ?? "gantry-test"}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(FullPath);
    }

    public string FullPath { get; }

    public string Combine(params string[] parts) => Path.Combine([FullPath, .. parts]);

    /// <summary>Writes a text file (creating parent folders) and returns its full path.</summary>
    public string WriteFile(string relativePath, string content)
    {
        var path = Combine(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public override string ToString() => FullPath;

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(FullPath))
            {
                // Unmount anything a failed test left mounted below us, then delete.
                ProcessRunner.Run("sh", ["-c", $"grep -F ' {FullPath}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l 2>/dev/null; chmod -R u+rwX '{FullPath}' 2>/dev/null; rm -rf '{FullPath}'"], timeout: TimeSpan.FromSeconds(60));
            }
        }
        catch (IOException)
        {
        }
    }
}
