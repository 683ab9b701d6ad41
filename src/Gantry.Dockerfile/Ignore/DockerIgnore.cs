// Owns: reading .dockerignore files (Docker's rules, per-Dockerfile NAME.dockerignore) and deciding what the context excludes.
namespace Gantry.Dockerfile.Ignore;

/// <summary>
/// The exclusion rules of a build context. Parse a file with <see cref="Parse"/> or find the right one with
/// <see cref="Load"/>, then ask <see cref="IsExcluded"/> for every context path (relative, <c>/</c>-separated).
/// Patterns apply in order; a later <c>!pattern</c> re-includes what an earlier one excluded.
/// </summary>
public sealed class DockerIgnore
{
    private DockerIgnore(IReadOnlyList<IgnorePattern> patterns, string? sourcePath)
    {
        Patterns = patterns;
        SourcePath = sourcePath;
        HasExceptions = patterns.Any(p => p.IsException);
    }

    /// <summary>No patterns: nothing is excluded.</summary>
    public static DockerIgnore Empty { get; } = new([], null);

    public IReadOnlyList<IgnorePattern> Patterns { get; }

    /// <summary>The file the patterns came from, or null.</summary>
    public string? SourcePath { get; }

    /// <summary>
    /// True when some <c>!</c> pattern exists: a walker must then descend into excluded directories, because a path
    /// below them may be re-included. Without exceptions an excluded directory can be skipped whole.
    /// </summary>
    public bool HasExceptions { get; }

    /// <summary>
    /// Parses ignore-file text: lines starting with <c>#</c> are comments, surrounding spaces are trimmed,
    /// <c>!</c> marks an exception, paths are cleaned (<c>./a/</c> → <c>a</c>) and a leading <c>/</c> is dropped.
    /// </summary>
    public static DockerIgnore Parse(string text, string? sourcePath = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var patterns = new List<IgnorePattern>();
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine;
            if (lineNumber == 1 && line.Length > 0 && line[0] == '\uFEFF')
            {
                line = line[1..];
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            var pattern = line.Trim();
            if (pattern.Length == 0)
            {
                continue;
            }

            var invert = pattern[0] == '!';
            if (invert)
            {
                pattern = pattern[1..].Trim();
            }

            if (pattern.Length > 0)
            {
                pattern = CleanPath(pattern);
                if (pattern.Length > 1 && pattern[0] == '/')
                {
                    pattern = pattern[1..];
                }
            }

            try
            {
                patterns.Add(new IgnorePattern(pattern, invert, lineNumber));
            }
            catch (DockerfileException ex)
            {
                throw new DockerfileException(sourcePath ?? ".dockerignore", lineNumber, lineNumber, ex.Detail, [rawLine.TrimEnd('\r')]);
            }
        }

        return new DockerIgnore(patterns, sourcePath);
    }

    /// <summary>
    /// Finds and parses the ignore file for a build: <c>DOCKERFILE.dockerignore</c> next to the Dockerfile (e.g.
    /// <c>app.Dockerfile.dockerignore</c>) takes precedence over <c>CONTEXT/.dockerignore</c>. Returns
    /// <see cref="Empty"/> when neither exists (or the Dockerfile comes from stdin: pass null).
    /// </summary>
    public static async Task<DockerIgnore> LoadAsync(string contextDirectory, string? dockerfilePath, CancellationToken cancellationToken = default)
    {
        var path = Locate(contextDirectory, dockerfilePath);
        if (path is null)
        {
            return Empty;
        }

        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        return Parse(text, path);
    }

    /// <summary>Synchronous <see cref="LoadAsync"/>.</summary>
    public static DockerIgnore Load(string contextDirectory, string? dockerfilePath)
    {
        var path = Locate(contextDirectory, dockerfilePath);
        return path is null ? Empty : Parse(File.ReadAllText(path), path);
    }

    /// <summary>Which ignore file applies (see <see cref="LoadAsync"/>), or null.</summary>
    public static string? Locate(string contextDirectory, string? dockerfilePath)
    {
        ArgumentNullException.ThrowIfNull(contextDirectory);
        if (!string.IsNullOrEmpty(dockerfilePath) && dockerfilePath != "-")
        {
            var full = Path.IsPathRooted(dockerfilePath) ? dockerfilePath : Path.Combine(contextDirectory, dockerfilePath);
            var specific = full + ".dockerignore";
            if (File.Exists(specific))
            {
                return specific;
            }
        }

        var general = Path.Combine(contextDirectory, ".dockerignore");
        return File.Exists(general) ? general : null;
    }

    /// <summary>
    /// Whether <paramref name="relativePath"/> (relative to the context, <c>/</c>-separated; <c>./</c> and trailing
    /// <c>/</c> are tolerated) is excluded: it or one of its parent directories matches, as moby's
    /// <c>MatchesOrParentMatches</c>.
    /// </summary>
    public bool IsExcluded(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (Patterns.Count == 0)
        {
            return false;
        }

        var file = CleanPath(relativePath.Replace('\\', '/'));
        if (file.StartsWith('/'))
        {
            file = file.TrimStart('/');
        }

        var lastSlash = file.LastIndexOf('/');
        var parentDirs = lastSlash < 0 ? [] : file[..lastSlash].Split('/');
        var matched = false;
        foreach (var pattern in Patterns)
        {
            if (pattern.IsException != matched)
            {
                continue;
            }

            var match = pattern.Matches(file);
            if (!match && parentDirs.Length > 0)
            {
                var prefix = "";
                for (var i = 0; i < parentDirs.Length; i++)
                {
                    prefix = i == 0 ? parentDirs[0] : prefix + "/" + parentDirs[i];
                    if (pattern.Matches(prefix))
                    {
                        match = true;
                        break;
                    }
                }
            }

            if (match)
            {
                matched = !pattern.IsException;
            }
        }

        return matched;
    }

    /// <summary>
    /// <see cref="IsExcluded"/> for a clean relative path none of whose parent directories is excluded (a walker that
    /// skips excluded directories knows this), when there is no <c>!</c> pattern: then only the path itself needs
    /// testing. With exceptions it is <see cref="IsExcluded"/>.
    /// </summary>
    public bool IsExcludedUnderIncludedParent(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (HasExceptions)
        {
            return IsExcluded(relativePath);
        }

        // Without exceptions, IsExcluded is "some pattern matches the path or a parent"; no parent matches here.
        foreach (var pattern in Patterns)
        {
            if (pattern.Matches(relativePath))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Go's path.Clean.</summary>
    internal static string CleanPath(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }

        var rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..")
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                else if (!rooted)
                {
                    parts.Add("..");
                }

                continue;
            }

            parts.Add(part);
        }

        var joined = string.Join('/', parts);
        if (rooted)
        {
            return "/" + joined;
        }

        return joined.Length == 0 ? "." : joined;
    }
}
