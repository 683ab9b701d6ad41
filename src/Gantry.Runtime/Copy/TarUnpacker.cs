// Owns: extracting a tar stream into a directory of a FsRoot, every entry confined to the root (symlinks followed only inside it).
using System.Formats.Tar;
using Gantry.Oci;

namespace Gantry.Runtime.Copy;

/// <summary>How extracted entries are owned.</summary>
public enum CopyOwnership
{
    /// <summary>Leave files owned by the caller (docker's copy to the host).</summary>
    Caller,

    /// <summary>Root of the container, 0:0 (docker's copy into a container without -a).</summary>
    Root,

    /// <summary>The uid/gid stored in the archive (-a / --archive).</summary>
    Archive,
}

internal static class TarUnpacker
{
    /// <summary>
    /// Extracts <paramref name="tar"/> into <paramref name="dirInside"/> (a directory path inside <paramref name="root"/>). Entry names
    /// with ".." that climb above that directory are refused; parents are resolved inside the root, so a symlink planted in the
    /// container (or earlier in the archive) can never direct a write outside it. Returns the bytes of file data written.
    /// </summary>
    public static async Task<long> ExtractAsync(Stream tar, FsRoot root, string dirInside, CopyOwnership ownership, CancellationToken cancellationToken)
    {
        var reader = new TarReader(tar, leaveOpen: true);
        long written = 0;
        var dirTimes = new List<(string Path, DateTimeOffset Time)>();
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                written += await ExtractEntryAsync(entry, root, dirInside, ownership, dirTimes, cancellationToken).ConfigureAwait(false);
            }
        }

        for (var i = dirTimes.Count - 1; i >= 0; i--)
        {
            TrySetTime(dirTimes[i].Path, dirTimes[i].Time);
        }

        return written;
    }

    /// <summary>The components of an archive name with "." dropped and ".." applied; throws when it climbs above the top.</summary>
    internal static List<string> Clean(string name)
    {
        var parts = new List<string>();
        foreach (var p in name.Split('/'))
        {
            if (p.Length == 0 || p == ".")
            {
                continue;
            }

            if (p == "..")
            {
                if (parts.Count == 0)
                {
                    throw new GantryException($"refusing tar entry '{name}': it points outside the destination directory (remove the '..' components)");
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(p);
        }

        return parts;
    }

    private static async Task<long> ExtractEntryAsync(TarEntry entry, FsRoot root, string dirInside, CopyOwnership ownership, List<(string, DateTimeOffset)> dirTimes, CancellationToken cancellationToken)
    {
        var parts = Clean(entry.Name);
        if (parts.Count == 0)
        {
            return 0; // the "." entry of a contents-only archive: the destination already exists
        }

        var parentHost = EnsureDirectory(root, dirInside, parts.Take(parts.Count - 1));
        var target = parentHost.TrimEnd('/') + "/" + parts[^1];
        var existing = FsRoot.KindOf(target);
        var isDir = entry.EntryType == TarEntryType.Directory;
        if (existing == FsKind.Directory && !isDir)
        {
            throw new GantryException($"cannot overwrite directory '{root.Name(root.Inside(target))}' with non-directory '{entry.Name}': remove the directory first");
        }

        if (existing is FsKind.File or FsKind.Symlink && isDir)
        {
            throw new GantryException($"cannot overwrite non-directory '{root.Name(root.Inside(target))}' with directory '{entry.Name}': remove it first");
        }

        long bytes = 0;
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (existing == FsKind.Missing)
                {
                    Directory.CreateDirectory(target);
                }

                File.SetUnixFileMode(target, entry.Mode);
                dirTimes.Add((target, entry.ModificationTime));
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                if (existing != FsKind.Missing)
                {
                    File.Delete(target); // a symlink is removed itself, never followed
                }

                var file = new FileStream(target, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = entry.Mode });
                await using (file.ConfigureAwait(false))
                {
                    if (entry.DataStream is { } data)
                    {
                        await data.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                    }

                    bytes = file.Length;
                    File.SetUnixFileMode(file.SafeFileHandle, entry.Mode);
                }

                TrySetTime(target, entry.ModificationTime);
                break;
            case TarEntryType.SymbolicLink:
                if (existing != FsKind.Missing)
                {
                    File.Delete(target);
                }

                File.CreateSymbolicLink(target, entry.LinkName);
                break;
            case TarEntryType.HardLink:
                var linkParts = Clean(entry.LinkName);
                var source = root.Resolve(JoinInside(dirInside, linkParts), followLast: false);
                if (FsRoot.KindOf(source) != FsKind.File)
                {
                    throw new GantryException($"tar entry '{entry.Name}' is a hard link to '{entry.LinkName}', which is not a file extracted before it");
                }

                if (existing != FsKind.Missing)
                {
                    File.Delete(target);
                }

                if (CopyNative.Link(source, target) != 0)
                {
                    throw new GantryException($"cannot create hard link '{entry.Name}': {CopyNative.LastError()}");
                }

                break;
            default:
                return 0; // devices, fifos and the like are not copied
        }

        var (uid, gid) = ownership switch
        {
            CopyOwnership.Root => (0, 0),
            CopyOwnership.Archive => (entry.Uid, entry.Gid),
            _ => (-1, -1),
        };
        if (uid >= 0 && CopyNative.Lchown(target, uid, gid) != 0)
        {
            throw new GantryException($"cannot change the owner of '{root.Name(root.Inside(target))}' to {uid}:{gid}: {CopyNative.LastError()}");
        }

        return bytes;
    }

    /// <summary>Makes sure each parent component exists as a directory (resolving each inside the root); returns its host path.</summary>
    private static string EnsureDirectory(FsRoot root, string dirInside, IEnumerable<string> parts)
    {
        var current = dirInside;
        var host = root.Resolve(current, followLast: true);
        foreach (var part in parts)
        {
            current = current.TrimEnd('/') + "/" + part;
            host = root.Resolve(current, followLast: true);
            var kind = FsRoot.KindOf(host);
            if (kind == FsKind.Missing)
            {
                Directory.CreateDirectory(host);
            }
            else if (kind != FsKind.Directory)
            {
                throw new GantryException($"cannot extract into '{root.Name(current)}': it is not a directory");
            }
        }

        if (FsRoot.KindOf(host) != FsKind.Directory)
        {
            throw new GantryException($"cannot extract into '{root.Name(dirInside)}': it is not a directory");
        }

        return host;
    }

    private static string JoinInside(string dirInside, List<string> parts) => dirInside.TrimEnd('/') + "/" + string.Join('/', parts);

    private static void TrySetTime(string path, DateTimeOffset time)
    {
        try
        {
            if (FsRoot.KindOf(path) is FsKind.File or FsKind.Directory)
            {
                File.SetLastWriteTimeUtc(path, time.UtcDateTime);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
        }
    }
}
