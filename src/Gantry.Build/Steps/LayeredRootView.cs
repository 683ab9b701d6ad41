// Owns: read-only lookups (stat, read a file) in the merged view of a stack of unpacked layer dirs, without mounting.
using Gantry.Build.Native;

namespace Gantry.Build.Steps;

/// <summary>
/// The union of snapshot directories (top layer first) as overlayfs would show it: a char 0/0 device is a whiteout hiding the
/// path below, a directory marked opaque hides everything beneath it in lower layers. Used to answer "does /app exist",
/// "is dest a directory", and to read /etc/passwd for --chown and USER, without mounting anything.
/// </summary>
public sealed class LayeredRootView
{
    private readonly IReadOnlyList<string> _topFirst;

    public LayeredRootView(IReadOnlyList<string> layerDirsTopFirst)
    {
        ArgumentNullException.ThrowIfNull(layerDirsTopFirst);
        _topFirst = layerDirsTopFirst;
    }

    public static LayeredRootView Empty { get; } = new([]);

    /// <summary>The host path where <paramref name="imagePath"/> is visible, with its stat; null when absent or whited out.</summary>
    public (string HostPath, FileStat Stat)? Lookup(string imagePath)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        var rel = imagePath.Trim('/');
        if (rel.Length == 0)
        {
            return _topFirst.Count > 0 && FileStatReader.TryLstat(_topFirst[0]) is { } rootStat ? (_topFirst[0], rootStat) : null;
        }

        var segments = rel.Split('/');
        foreach (var layer in _topFirst)
        {
            var current = layer;
            var hidden = false;
            var opaqueAbove = false;
            for (var i = 0; i < segments.Length; i++)
            {
                current = current + "/" + segments[i];
                var stat = FileStatReader.TryLstat(current);
                if (stat is null)
                {
                    break;
                }

                if (IsWhiteout(stat.Value))
                {
                    hidden = true;
                    break;
                }

                if (i == segments.Length - 1)
                {
                    return (current, stat.Value);
                }

                if (!stat.Value.IsDirectory)
                {
                    hidden = true;
                    break;
                }

                if (IsOpaque(current))
                {
                    opaqueAbove = true;
                }
            }

            if (hidden)
            {
                return null;
            }

            if (opaqueAbove)
            {
                // The parent exists here but is opaque: the path is not in lower layers either.
                return null;
            }
        }

        return null;
    }

    public bool IsDirectory(string imagePath) => Lookup(imagePath) is { } hit && hit.Stat.IsDirectory;

    public bool Exists(string imagePath) => Lookup(imagePath) is not null;

    /// <summary>Reads a small text file (e.g. /etc/passwd) from the merged view, or null.</summary>
    public string? ReadText(string imagePath)
    {
        var hit = Lookup(imagePath);
        if (hit is null)
        {
            return null;
        }

        var (path, stat) = hit.Value;
        if (stat.IsSymlink)
        {
            var target = File.ResolveLinkTarget(path, returnFinalTarget: false)?.ToString();
            if (target is null)
            {
                return null;
            }

            var resolved = target.StartsWith('/') ? target : Path.GetDirectoryName(imagePath.TrimEnd('/')) + "/" + target;
            return resolved == imagePath ? null : ReadText(resolved);
        }

        return stat.IsRegular ? File.ReadAllText(path) : null;
    }

    private static bool IsWhiteout(FileStat stat) => stat.IsWhiteout;

    private static bool IsOpaque(string dir)
    {
        try
        {
            return Xattr.Get(dir, "trusted.overlay.opaque") is [(byte)'y'] || Xattr.Get(dir, "user.overlay.opaque") is [(byte)'y'];
        }
        catch (IOException)
        {
            return false;
        }
    }
}
