// Owns: removing scratch trees (upper dirs, staging dirs) that may hold device nodes, read-only files and odd modes.
namespace Gantry.Build.Native;

public static class Dirs
{
    public static void RemoveAll(string path)
    {
        if (!Directory.Exists(path) && !File.Exists(path))
        {
            return;
        }

        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("rm", ["-rf", "--one-file-system", path]) { UseShellExecute = false });
            p?.WaitForExit();
        }
    }
}
