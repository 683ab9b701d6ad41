// Owns: dropping directories from a RUN's overlay upper dir that only changed their mtime (e.g. /etc after mount stubs were removed).
using Gantry.Build.Native;

namespace Gantry.Build.Steps;

/// <summary>
/// A directory is left in the upper dir whenever anything below it was created, even if that was removed again (the
/// runtime's /etc/hosts stub, a temp file). When such a directory is empty, not opaque, and the lower layers hold the same
/// directory with the same owner and mode, it carries no change: removing it lets "RUN true" add no layer, as docker does.
/// </summary>
public static class UpperDirPruner
{
    public static void Prune(string upperDir, LayeredRootView lower)
    {
        ArgumentNullException.ThrowIfNull(upperDir);
        ArgumentNullException.ThrowIfNull(lower);
        foreach (var child in Directory.EnumerateDirectories(upperDir))
        {
            PruneDir(child, "/" + Path.GetFileName(child), lower);
        }
    }

    private static bool PruneDir(string hostPath, string imagePath, LayeredRootView lower)
    {
        if (FileStatReader.TryLstat(hostPath) is not { IsDirectory: true } stat)
        {
            return false;
        }

        var empty = true;
        foreach (var entry in Directory.EnumerateFileSystemEntries(hostPath).ToList())
        {
            var name = Path.GetFileName(entry);
            if (FileStatReader.TryLstat(entry) is { IsDirectory: true })
            {
                if (!PruneDir(entry, imagePath + "/" + name, lower))
                {
                    empty = false;
                }
            }
            else
            {
                empty = false;
            }
        }

        if (!empty || Xattr.Get(hostPath, "trusted.overlay.opaque") is [(byte)'y'])
        {
            return false;
        }

        if (lower.Lookup(imagePath) is not { } below || !below.Stat.IsDirectory
            || below.Stat.Permissions != stat.Permissions || below.Stat.Uid != stat.Uid || below.Stat.Gid != stat.Gid)
        {
            return false;
        }

        Directory.Delete(hostPath);
        return true;
    }
}
