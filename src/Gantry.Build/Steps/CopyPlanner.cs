// Owns: Docker's COPY/ADD source rules: globs, several sources, directory-vs-file destinations, --parents, --exclude.
using Gantry.Build.Context;
using Gantry.Oci;

namespace Gantry.Build.Steps;

/// <summary>What a COPY copies: the requested sources, the destination and options already expanded.</summary>
public sealed record CopyRequest
{
    public required IReadOnlyList<string> Sources { get; init; }

    public required string Destination { get; init; }

    public string WorkingDir { get; init; } = "/";

    public bool Parents { get; init; }

    public IReadOnlyList<string> Excludes { get; init; } = [];

    public int? Uid { get; init; }

    public int? Gid { get; init; }

    /// <summary>--chmod bits, or null to keep the source mode.</summary>
    public int? Mode { get; init; }

    /// <summary>"Dockerfile:4: COPY nope ." — prefixes every error message.</summary>
    public required string Where { get; init; }
}

public static class CopyPlanner
{
    /// <summary>Resolves sources in <paramref name="source"/> into layer entries, sorted by path, parents first.</summary>
    public static IReadOnlyList<PlannedEntry> Plan(BuildContext source, CopyRequest request, LayeredRootView parent, DateTimeOffset? clampTime, bool preserveOwnership = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parent);
        var dest = request.Destination;
        if (!dest.StartsWith('/'))
        {
            dest = JoinImage(request.WorkingDir, dest);
        }

        var destIsDir = request.Destination.EndsWith('/') || request.Destination is "." or ".." || request.Destination.EndsWith("/.", StringComparison.Ordinal);
        if (request.Sources.Count > 1 && !destIsDir)
        {
            throw new GantryException($"{request.Where}: when COPY has more than one source, the destination must be a directory ending with '/' (write '{request.Destination}/')");
        }

        var destClean = "/" + BuildContext.CleanRelative(dest, out _);
        var entries = new Dictionary<string, PlannedEntry>(StringComparer.Ordinal);
        int Uid(ContextEntry e) => request.Uid ?? (preserveOwnership ? (int)e.Stat.Uid : 0);
        int Gid(ContextEntry e) => request.Gid ?? (preserveOwnership ? (int)e.Stat.Gid : 0);

        foreach (var rawSource in request.Sources)
        {
            var rel = BuildContext.CleanRelative(rawSource, out var escapes);
            if (escapes)
            {
                throw new GantryException($"{request.Where}: source '{rawSource}' points outside the build context; only files inside the context can be copied");
            }

            List<ContextEntry> matches;
            if (GlobMatcher.HasWildcards(rel))
            {
                matches = source.Entries.Where(e => GlobMatcher.Match(rel, e.RelativePath)).ToList();
                if (matches.Count == 0)
                {
                    throw new GantryException($"{request.Where}: no file in the build context matches '{rawSource}' (or every match is excluded by .dockerignore)");
                }
            }
            else if (rel.Length == 0)
            {
                matches = [new ContextEntry(string.Empty, source.Root, Native.FileStatReader.Lstat(source.Root))];
            }
            else
            {
                var hit = source.Find(rel) ?? throw new GantryException($"{request.Where}: '{rawSource}' was not found in the build context (or it is excluded by .dockerignore)");
                matches = [hit];
            }

            var manyMatches = matches.Count > 1 || request.Sources.Count > 1;
            foreach (var match in matches)
            {
                if (match.IsDirectory)
                {
                    var targetDir = request.Parents && match.RelativePath.Length > 0 ? JoinImage(destClean, match.RelativePath) : destClean;
                    AddDir(entries, targetDir, match, Uid(match), Gid(match), request.Mode, clampTime);
                    var prefix = match.RelativePath.Length == 0 ? string.Empty : match.RelativePath + "/";
                    foreach (var child in source.Entries)
                    {
                        if (prefix.Length > 0 && !child.RelativePath.StartsWith(prefix, StringComparison.Ordinal))
                        {
                            continue;
                        }

                        if (child.RelativePath.Length == 0 || IsExcluded(child.RelativePath, request.Excludes))
                        {
                            continue;
                        }

                        var target = JoinImage(targetDir, child.RelativePath[prefix.Length..]);
                        Add(entries, target, child, Uid(child), Gid(child), request.Mode, clampTime);
                    }
                }
                else
                {
                    if (IsExcluded(match.RelativePath, request.Excludes))
                    {
                        continue;
                    }

                    string target;
                    if (request.Parents)
                    {
                        target = JoinImage(destClean, match.RelativePath);
                    }
                    else if (destIsDir || manyMatches || parent.IsDirectory(destClean))
                    {
                        target = JoinImage(destClean, Path.GetFileName(match.RelativePath));
                    }
                    else
                    {
                        target = destClean;
                    }

                    Add(entries, target, match, Uid(match), Gid(match), request.Mode, clampTime);
                }
            }
        }

        // Parent directories of everything copied: keep what the parent image has, else root 0755.
        string? lastParent = null;
        foreach (var path in entries.Keys.ToArray())
        {
            var slash = path.LastIndexOf('/');
            if (slash <= 0 || (lastParent is not null && path.AsSpan(0, slash).SequenceEqual(lastParent)))
            {
                continue; // at the top, or in the folder the previous entry was in (a COPY'd directory's files)
            }

            var dir = lastParent = path[..slash];
            while (dir.Length > 0 && !entries.ContainsKey(dir))
            {
                var existing = parent.Lookup("/" + dir);
                entries[dir] = new PlannedEntry
                {
                    Path = dir,
                    Kind = PlannedKind.Directory,
                    Mode = existing is { } e && e.Stat.IsDirectory ? (int)e.Stat.Permissions : 0b111_101_101,
                    Uid = existing is { } e2 && e2.Stat.IsDirectory ? (int)e2.Stat.Uid : 0,
                    Gid = existing is { } e3 && e3.Stat.IsDirectory ? (int)e3.Stat.Gid : 0,
                    ModificationTime = existing is { } e4 && e4.Stat.IsDirectory ? Clamp(e4.Stat.Mtime, clampTime) : Clamp(DateTimeOffset.UnixEpoch, clampTime),
                };
                var up = dir.LastIndexOf('/');
                dir = up < 0 ? string.Empty : dir[..up];
            }
        }

        var planned = entries.Values.ToList();
        planned.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return planned;
    }

    private static void AddDir(Dictionary<string, PlannedEntry> into, string target, ContextEntry source, int uid, int gid, int? mode, DateTimeOffset? clamp)
    {
        var rel = target.Trim('/');
        if (rel.Length == 0)
        {
            return;
        }

        into[rel] = new PlannedEntry
        {
            Path = rel,
            Kind = PlannedKind.Directory,
            Uid = uid,
            Gid = gid,
            Mode = mode ?? (int)source.Stat.Permissions,
            ModificationTime = Clamp(source.Stat.Mtime, clamp),
        };
    }

    private static void Add(Dictionary<string, PlannedEntry> into, string target, ContextEntry source, int uid, int gid, int? mode, DateTimeOffset? clamp)
    {
        var rel = target.Trim('/');
        if (rel.Length == 0)
        {
            return;
        }

        if (source.IsDirectory)
        {
            AddDir(into, target, source, uid, gid, mode, clamp);
            return;
        }

        if (source.IsSymlink)
        {
            into[rel] = new PlannedEntry
            {
                Path = rel,
                Kind = PlannedKind.Symlink,
                LinkTarget = File.ResolveLinkTarget(source.FullPath, returnFinalTarget: false)?.ToString() ?? new FileInfo(source.FullPath).LinkTarget ?? string.Empty,
                Uid = uid,
                Gid = gid,
                Mode = 0b111_111_111,
                ModificationTime = Clamp(source.Stat.Mtime, clamp),
            };
            return;
        }

        if (!source.IsRegular)
        {
            return; // sockets, fifos and devices in a context are skipped, as docker does
        }

        into[rel] = new PlannedEntry
        {
            Path = rel,
            Kind = PlannedKind.File,
            SourcePath = source.FullPath,
            SourceStat = source.Stat,
            Uid = uid,
            Gid = gid,
            Mode = mode ?? (int)source.Stat.Permissions,
            ModificationTime = Clamp(source.Stat.Mtime, clamp),
        };
    }

    private static bool IsExcluded(string relativePath, IReadOnlyList<string> excludes)
    {
        foreach (var pattern in excludes)
        {
            var p = BuildContext.CleanRelative(pattern, out _);
            if (GlobMatcher.Match(p, relativePath) || GlobMatcher.Match(p, Path.GetFileName(relativePath)))
            {
                return true;
            }

            // a pattern matching a parent excludes everything beneath it
            var slash = relativePath.IndexOf('/', StringComparison.Ordinal);
            while (slash > 0)
            {
                if (GlobMatcher.Match(p, relativePath[..slash]))
                {
                    return true;
                }

                slash = relativePath.IndexOf('/', slash + 1);
            }
        }

        return false;
    }

    public static string JoinImage(string dir, string rel)
    {
        if (rel.StartsWith('/'))
        {
            return "/" + BuildContext.CleanRelative(rel, out _);
        }

        var d = dir.Length == 0 ? "/" : dir;
        if (d[0] == '/' && BuildContext.IsClean(d.AsSpan(1)) && BuildContext.IsClean(rel))
        {
            // the common case (every file of a COPY'd directory): already clean, one concatenation
            return rel.Length == 0 ? d : d.Length == 1 ? "/" + rel : d + "/" + rel;
        }

        return "/" + BuildContext.CleanRelative(d + "/" + rel, out _);
    }

    private static DateTimeOffset Clamp(DateTimeOffset t, DateTimeOffset? clamp) => clamp is { } c && t > c ? c : t;
}
