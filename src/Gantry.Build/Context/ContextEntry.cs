// Owns: one file, directory or symlink of the build context as the builder sees it (relative path + stat).
using Gantry.Build.Native;

namespace Gantry.Build.Context;

/// <summary>A context entry: its path relative to the context root ('/'-separated, no leading './') and its lstat.</summary>
public sealed record ContextEntry(string RelativePath, string FullPath, FileStat Stat)
{
    public bool IsDirectory => Stat.IsDirectory;

    public bool IsSymlink => Stat.IsSymlink;

    public bool IsRegular => Stat.IsRegular;
}
