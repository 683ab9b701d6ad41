// Owns: the build context: a directory (or a tar from stdin unpacked to a temp dir), its walk, and .dockerignore filtering.
using System.Formats.Tar;
using System.IO.Enumeration;
using Gantry.Build.Native;
using Gantry.Oci;

namespace Gantry.Build.Context;

/// <summary>
/// The files a build may COPY/ADD from. The walk happens once, lazily, and is shared by every step; excluded paths
/// (.dockerignore) are never listed. Paths are checked never to leave the context root.
/// </summary>
public sealed class BuildContext : IDisposable
{
    private readonly Func<string, bool> _isExcluded;
    private readonly bool _skipExcludedDirs;
    private readonly string? _ownedTempDir;
    private readonly Lazy<IReadOnlyList<ContextEntry>> _entries;
    private readonly Lazy<Dictionary<string, ContextEntry>> _byPath;

    private BuildContext(string root, Func<string, bool> isExcluded, string? ownedTempDir, bool skipExcludedDirs = false)
    {
        Root = root;
        _isExcluded = isExcluded;
        _skipExcludedDirs = skipExcludedDirs;
        _ownedTempDir = ownedTempDir;
        _entries = new(Walk, LazyThreadSafetyMode.ExecutionAndPublication);
        _byPath = new(() => _entries.Value.ToDictionary(e => e.RelativePath, StringComparer.Ordinal), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The context root directory (absolute).</summary>
    public string Root { get; }

    /// <summary>Every non-excluded entry, sorted by path (ordinal), directories included.</summary>
    public IReadOnlyList<ContextEntry> Entries => _entries.Value;

    /// <summary>A context over a directory; <paramref name="isExcluded"/> gets '/'-separated relative paths.</summary>
    public static BuildContext FromDirectory(string directory, Func<string, bool>? isExcluded = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new GantryException($"build context '{directory}' is not a directory: give a folder (usually '.') or '-' for a tar on stdin");
        }

        return new BuildContext(root.TrimEnd('/') is { Length: > 0 } r ? r : "/", isExcluded ?? (_ => false), null);
    }

    /// <summary>Unpacks a tar stream (docker's `-` context) into <paramref name="tempParent"/> and uses it as the context.</summary>
    public static async Task<BuildContext> FromTarAsync(Stream tar, string tempParent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tar);
        var dir = Path.Combine(tempParent, "context-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            await ExtractTarSafelyAsync(tar, dir, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }

        return new BuildContext(dir, _ => false, dir);
    }

    /// <summary>Replaces the exclusion rule (used once .dockerignore has been read from the context itself).</summary>
    /// <param name="isExcluded">
    /// The rule, for '/'-separated relative paths. With <paramref name="skipExcludedDirs"/> it is only asked about paths
    /// whose parent directories it did not exclude (the walk enters no other), so it need not test the parents again
    /// (<c>DockerIgnore.IsExcludedUnderIncludedParent</c>).
    /// </param>
    /// <param name="skipExcludedDirs">True when no '!' exception exists, so an excluded directory need not be walked at all.</param>
    public BuildContext WithExclusions(Func<string, bool> isExcluded, bool skipExcludedDirs = false) => new(Root, isExcluded, _ownedTempDir, skipExcludedDirs);

    /// <summary>The entry at a clean relative path, or null.</summary>
    public ContextEntry? Find(string relativePath) => _byPath.Value.GetValueOrDefault(relativePath);

    /// <summary>Reads a file at the context root directly (Dockerfile, .dockerignore), or null when absent.</summary>
    public string? ReadRootFile(string name)
    {
        var path = Path.Combine(Root, name);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    private List<ContextEntry> Walk()
    {
        // Level by level: the directories of one depth are listed and stat'ed in parallel (a context is usually one
        // wide tree: src/ with many folders). Each directory is opened once and its entries stat'ed relative to it.
        var result = new List<ContextEntry>(1024);
        List<(string Full, string Rel)> level = [(Root, string.Empty)];
        while (level.Count > 0)
        {
            var found = new (List<ContextEntry> Entries, List<(string Full, string Rel)> Dirs)[level.Count];
            if (level.Count == 1)
            {
                found[0] = WalkDir(level[0].Full, level[0].Rel);
            }
            else
            {
                var current = level;
                Parallel.For(0, current.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => found[i] = WalkDir(current[i].Full, current[i].Rel));
            }

            level = [];
            foreach (var (entries, dirs) in found)
            {
                result.AddRange(entries);
                level.AddRange(dirs);
            }
        }

        result.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return result;
    }

    /// <summary>One directory: its non-excluded entries and the subdirectories to descend into.</summary>
    private (List<ContextEntry> Entries, List<(string Full, string Rel)> Dirs) WalkDir(string dir, string prefix)
    {
        var entries = new List<ContextEntry>();
        var dirs = new List<(string Full, string Rel)>();
        var names = new FileSystemEnumerable<string>(dir, static (ref FileSystemEntry e) => e.FileName.ToString(), new EnumerationOptions
        {
            AttributesToSkip = 0,
            IgnoreInaccessible = false,
            ReturnSpecialDirectories = false,
        });
        var fd = FileStatReader.OpenDirectory(dir);
        try
        {
            foreach (var name in names)
            {
                var full = dir == "/" ? "/" + name : dir + "/" + name;
                if ((fd >= 0 ? FileStatReader.TryLstatAt(fd, name) : FileStatReader.TryLstat(full)) is not { } stat)
                {
                    continue;
                }

                var rel = prefix.Length == 0 ? name : prefix + "/" + name;
                var excluded = _isExcluded(rel);
                if (!excluded)
                {
                    entries.Add(new ContextEntry(rel, full, stat));
                }

                // Descend even into excluded directories: a later '!pattern' may re-include something below.
                if (stat.IsDirectory && !(excluded && _skipExcludedDirs))
                {
                    dirs.Add((full, rel));
                }
            }
        }
        finally
        {
            FileStatReader.CloseDirectory(fd);
        }

        return (entries, dirs);
    }

    /// <summary>Cleans a path given in a Dockerfile (relative to the context) and refuses one that leaves the context.</summary>
    public static string CleanRelative(string path, out bool escapes)
    {
        ArgumentNullException.ThrowIfNull(path);
        escapes = false;
        if (IsClean(path))
        {
            return path; // the common case (every context walk and COPY plan): no allocation
        }

        var parts = new List<string>();
        foreach (var seg in path.Replace('\\', '/').Split('/'))
        {
            if (seg.Length == 0 || seg == ".")
            {
                continue;
            }

            if (seg == "..")
            {
                if (parts.Count == 0)
                {
                    escapes = true;
                    continue;
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(seg);
        }

        return string.Join('/', parts);
    }

    /// <summary>True when <paramref name="path"/> is already what <see cref="CleanRelative"/> would return.</summary>
    internal static bool IsClean(ReadOnlySpan<char> path)
    {
        if (path.Length == 0)
        {
            return true;
        }

        if (path[0] == '/' || path[^1] == '/' || path.Contains('\\'))
        {
            return false;
        }

        var start = 0;
        while (start <= path.Length)
        {
            var end = path[start..].IndexOf('/');
            end = end < 0 ? path.Length : start + end;
            var seg = path[start..end];
            if (seg.Length == 0 || seg is "." or "..")
            {
                return false;
            }

            start = end + 1;
        }

        return true;
    }

    private static async Task ExtractTarSafelyAsync(Stream tar, string dir, CancellationToken cancellationToken)
    {
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var rel = CleanRelative(entry.Name, out var escapes);
            if (escapes)
            {
                throw new GantryException($"the context tar on stdin holds '{entry.Name}', which points outside the context: make the tar with relative paths");
            }

            if (rel.Length == 0)
            {
                continue;
            }

            var target = Path.Combine(dir, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(target);
                    break;
                case TarEntryType.SymbolicLink:
                    File.CreateSymbolicLink(target, entry.LinkName);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    await entry.ExtractToFileAsync(target, overwrite: true, cancellationToken).ConfigureAwait(false);
                    break;
                case TarEntryType.HardLink:
                    var linkRel = CleanRelative(entry.LinkName, out var linkEscapes);
                    if (!linkEscapes && File.Exists(Path.Combine(dir, linkRel)))
                    {
                        File.Copy(Path.Combine(dir, linkRel), target, overwrite: true);
                    }

                    break;
                default:
                    continue;
            }

            if (entry.EntryType is not TarEntryType.SymbolicLink)
            {
                File.SetUnixFileMode(target, (UnixFileMode)((int)entry.Mode & 0xFFF));
                try
                {
                    File.SetLastWriteTimeUtc(target, entry.ModificationTime.UtcDateTime);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    public void Dispose()
    {
        if (_ownedTempDir is not null && Directory.Exists(_ownedTempDir))
        {
            Directory.Delete(_ownedTempDir, recursive: true);
        }
    }
}
