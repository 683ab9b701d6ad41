// Owns: writing a file or directory tree as a tar stream under a chosen top name, never following symlinks below the top.
using System.Formats.Tar;

namespace Gantry.Runtime.Copy;

internal static class TarPacker
{
    /// <summary>
    /// Writes <paramref name="hostPath"/> (already resolved inside its root) to <paramref name="output"/> as a tar whose top entry is
    /// <paramref name="topName"/> (its children are topName/child…); a top name of "." writes only the children, named child….
    /// Symlinks are stored as links, never followed; a top that is a symlink is stored as that link.
    /// </summary>
    public static async Task WriteAsync(string hostPath, string topName, Stream output, CancellationToken cancellationToken)
    {
        var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            await WriteTreeAsync(writer, hostPath, topName == "." ? "" : topName, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WriteTreeAsync(TarWriter writer, string hostPath, string name, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var kind = FsRoot.KindOf(hostPath);
        if (name.Length > 0)
        {
            await writer.WriteEntryAsync(hostPath, kind == FsKind.Directory ? name + "/" : name, cancellationToken).ConfigureAwait(false);
        }

        if (kind != FsKind.Directory)
        {
            return;
        }

        var children = Directory.EnumerateFileSystemEntries(hostPath).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        foreach (var child in children)
        {
            await WriteTreeAsync(writer, hostPath.TrimEnd('/') + "/" + child, name.Length == 0 ? child : name + "/" + child, cancellationToken).ConfigureAwait(false);
        }
    }
}
