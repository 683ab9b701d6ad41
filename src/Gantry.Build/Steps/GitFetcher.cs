// Owns: ADD from git (https://host/repo.git#ref:subdir, git@host:repo.git, git://, ssh://): recognising the forms as BuildKit does, resolving the ref to a commit, fetching it with the host's git.
using System.Diagnostics;
using System.Text;
using Gantry.Oci;

namespace Gantry.Build.Steps;

/// <summary>A parsed git source: the remote to fetch, the ref (null = the remote's HEAD) and a subdirectory (empty = the root).</summary>
public sealed record GitSource(string Remote, string? Ref, string Subdir)
{
    public override string ToString() => Remote + (Ref is null && Subdir.Length == 0 ? string.Empty : "#" + Ref + (Subdir.Length == 0 ? string.Empty : ":" + Subdir));
}

public static class GitFetcher
{
    /// <summary>
    /// Whether an ADD source is a git repository, as BuildKit decides: <c>git@…</c>, <c>git://…</c>, <c>ssh://…</c>, <c>github.com/…</c>,
    /// or an http(s) URL whose path ends in <c>.git</c>.
    /// </summary>
    public static bool IsGitSource(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.StartsWith("git@", StringComparison.Ordinal) || source.StartsWith("git://", StringComparison.Ordinal)
            || source.StartsWith("ssh://", StringComparison.Ordinal) || source.StartsWith("github.com/", StringComparison.Ordinal))
        {
            return true;
        }

        if (source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var hash = source.IndexOf('#', StringComparison.Ordinal);
            var url = hash < 0 ? source : source[..hash];
            return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.AbsolutePath.EndsWith(".git", StringComparison.Ordinal);
        }

        return false;
    }

    /// <summary>Splits <c>REMOTE#REF:SUBDIR</c>; a subdir escaping the repository is an error.</summary>
    public static GitSource Parse(string source, string where)
    {
        ArgumentNullException.ThrowIfNull(source);
        var hash = source.IndexOf('#', StringComparison.Ordinal);
        var remote = hash < 0 ? source : source[..hash];
        var fragment = hash < 0 ? string.Empty : source[(hash + 1)..];
        if (remote.StartsWith("github.com/", StringComparison.Ordinal))
        {
            remote = "https://" + remote;
        }

        var colon = fragment.IndexOf(':', StringComparison.Ordinal);
        var gitRef = colon < 0 ? fragment : fragment[..colon];
        var subdir = colon < 0 ? string.Empty : fragment[(colon + 1)..];
        var parts = subdir.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains(".."))
        {
            throw new GantryException($"{where}: the subdirectory '{subdir}' of {remote} escapes the repository; name a directory inside it");
        }

        return new GitSource(remote, gitRef.Length == 0 ? null : gitRef, string.Join('/', parts));
    }

    /// <summary>The commit <paramref name="source"/>'s ref names on the remote (git ls-remote); a full commit id is taken as is.</summary>
    public static async Task<string> ResolveAsync(GitSource source, string where, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Ref is { Length: 40 } r && r.All(char.IsAsciiHexDigitLower))
        {
            return r;
        }

        var (code, stdout, stderr) = await RunGitAsync(null, ["ls-remote", "--", source.Remote], cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            throw new GantryException($"{where}: cannot reach the git repository {source.Remote}: {LastLine(stderr)}");
        }

        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab > 0)
            {
                refs[line[(tab + 1)..].Trim()] = line[..tab].Trim();
            }
        }

        var name = source.Ref ?? "HEAD";
        string[] candidates = name == "HEAD" ? ["HEAD"] : [name + "^{}", name, "refs/tags/" + name + "^{}", "refs/tags/" + name, "refs/heads/" + name];
        foreach (var c in candidates)
        {
            if (refs.TryGetValue(c, out var commit))
            {
                return commit;
            }
        }

        if (name.Length >= 7 && name.All(char.IsAsciiHexDigit))
        {
            // An abbreviated commit id: fetched in full and resolved after the fetch.
            return name.ToLowerInvariant();
        }

        throw new GantryException($"{where}: the git repository {source.Remote} has no branch or tag named '{name}'");
    }

    /// <summary>
    /// Fetches <paramref name="commit"/> of <paramref name="source"/> into a new directory under <paramref name="workDir"/> and checks it out;
    /// returns the directory to copy (the subdir applied) and the commit time.
    /// </summary>
    public static async Task<(string Tree, DateTimeOffset CommitTime)> FetchAsync(GitSource source, string commit, bool keepGitDir, string workDir, string where, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var repo = Path.Combine(workDir, "git-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(repo);
        await GitOrThrowAsync(repo, ["init", "-q"], where, source, cancellationToken).ConfigureAwait(false);
        await GitOrThrowAsync(repo, ["remote", "add", "origin", source.Remote], where, source, cancellationToken).ConfigureAwait(false);

        // Cheapest first: a shallow fetch of the commit (smart servers), of the ref, then everything (dumb HTTP cannot do shallow).
        var full = commit.Length == 40;
        List<string[]> attempts = [];
        if (full)
        {
            attempts.Add(["fetch", "-q", "--depth=1", "--no-tags", "origin", commit]);
        }

        if (source.Ref is { } gitRef && !(gitRef.Length >= 7 && gitRef.All(char.IsAsciiHexDigit)))
        {
            attempts.Add(["fetch", "-q", "--depth=1", "--no-tags", "origin", gitRef]);
        }

        attempts.Add(["fetch", "-q", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*"]);
        var errors = new StringBuilder();
        var fetched = false;
        foreach (var args in attempts)
        {
            var (code, _, stderr) = await RunGitAsync(repo, args, cancellationToken).ConfigureAwait(false);
            if (code == 0 && (await RunGitAsync(repo, ["cat-file", "-e", commit + "^{commit}"], cancellationToken).ConfigureAwait(false)).Code == 0)
            {
                fetched = true;
                break;
            }

            errors.Append(LastLine(stderr)).Append("; ");
        }

        if (!fetched)
        {
            throw new GantryException($"{where}: cannot fetch commit {commit} of {source}: {errors.ToString().TrimEnd(' ', ';')}");
        }

        await GitOrThrowAsync(repo, ["-c", "advice.detachedHead=false", "checkout", "-q", "--detach", commit], where, source, cancellationToken).ConfigureAwait(false);
        if (File.Exists(Path.Combine(repo, ".gitmodules")))
        {
            await GitOrThrowAsync(repo, ["submodule", "update", "-q", "--init", "--recursive", "--depth=1"], where, source, cancellationToken).ConfigureAwait(false);
        }

        var (_, timeText, _) = await RunGitAsync(repo, ["log", "-1", "--format=%ct", commit], cancellationToken).ConfigureAwait(false);
        var commitTime = long.TryParse(timeText.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : DateTimeOffset.UnixEpoch;
        if (!keepGitDir)
        {
            Native.Dirs.RemoveAll(Path.Combine(repo, ".git"));
        }

        var tree = source.Subdir.Length == 0 ? repo : Path.Combine(repo, source.Subdir);
        if (!Directory.Exists(tree) || new FileInfo(tree).LinkTarget is not null)
        {
            throw new GantryException($"{where}: {source.Remote} at {commit[..Math.Min(12, commit.Length)]} has no directory '{source.Subdir}'");
        }

        return (tree, commitTime);
    }

    private static async Task GitOrThrowAsync(string repo, string[] args, string where, GitSource source, CancellationToken cancellationToken)
    {
        var (code, _, stderr) = await RunGitAsync(repo, args, cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            throw new GantryException($"{where}: git {args.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('=', StringComparison.Ordinal))} failed for {source}: {LastLine(stderr)}");
        }
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no error output";

    private static async Task<(int Code, string Stdout, string Stderr)> RunGitAsync(string? repo, string[] args, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (repo is not null)
        {
            psi.ArgumentList.Add("-C");
            psi.ArgumentList.Add(repo);
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["LC_ALL"] = "C";
        if (!psi.Environment.ContainsKey("GIT_SSH_COMMAND"))
        {
            psi.Environment["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes";
        }

        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new GantryException("cannot start git");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new GantryException($"ADD from a git repository needs git on the host (apt-get install git): {ex.Message}", ex);
        }

        using (p)
        {
            p.StandardInput.Close();
            var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                throw;
            }

            return (p.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
    }
}
