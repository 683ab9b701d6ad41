// Owns: one side of a copy: a filesystem root ("/" for the host, the container's root) and confined path resolution in it.
using Gantry.Oci;

namespace Gantry.Runtime.Copy;

/// <summary>What a path names, without following a final symlink.</summary>
public enum FsKind
{
    Missing,
    File,
    Directory,
    Symlink,
}

/// <summary>
/// A filesystem root. Every path given to it is resolved with <see cref="RootPath.Resolve"/>: symlinks are followed as if
/// chrooted at <see cref="Root"/>, so nothing outside it is ever named.
/// </summary>
public sealed class FsRoot
{
    public FsRoot(string root, string display, bool isContainer)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root).TrimEnd('/');
        Display = display;
        IsContainer = isContainer;
    }

    /// <summary>The host's own filesystem.</summary>
    public static FsRoot Host { get; } = new("/", "", isContainer: false);

    /// <summary>The root on the host, without a trailing slash ("" for the host's "/").</summary>
    public string Root { get; }

    /// <summary>How errors name this side: the container's name, or "" for the host.</summary>
    public string Display { get; }

    public bool IsContainer { get; }

    /// <summary>The host path of <paramref name="path"/> (absolute in this root), symlinks followed within the root.</summary>
    public string Resolve(string path, bool followLast)
    {
        var resolved = RootPath.Resolve(Root.Length == 0 ? "/" : Root, path, followLast);
        return resolved.Length == 0 ? "/" : resolved;
    }

    /// <summary>The path inside this root of a host path that <see cref="Resolve"/> returned.</summary>
    public string Inside(string hostPath)
    {
        ArgumentNullException.ThrowIfNull(hostPath);
        if (Root.Length == 0)
        {
            return hostPath;
        }

        if (hostPath == Root)
        {
            return "/";
        }

        if (!hostPath.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            throw new GantryException($"path '{hostPath}' is outside the container root");
        }

        return hostPath[Root.Length..];
    }

    /// <summary>Names a path for messages: "ctr:/path" in a container, the plain path on the host.</summary>
    public string Name(string path) => IsContainer ? Display + ":" + path : path;

    public static FsKind KindOf(string hostPath)
    {
        ArgumentNullException.ThrowIfNull(hostPath);
        FileSystemInfo info = new FileInfo(hostPath);
        if (info.LinkTarget is not null)
        {
            return FsKind.Symlink;
        }

        if (Directory.Exists(hostPath))
        {
            return FsKind.Directory;
        }

        return File.Exists(hostPath) ? FsKind.File : FsKind.Missing;
    }
}
