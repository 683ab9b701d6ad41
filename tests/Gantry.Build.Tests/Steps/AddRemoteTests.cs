// Owns: ADD from http(s) URLs and from git repositories, against servers on loopback.
using System.Security.Cryptography;
using Gantry.Build.Tests.Integration;
using Gantry.Oci;
using Gantry.TestKit;

namespace Gantry.Build.Tests.Steps;

public sealed class AddRemoteTests
{
    [Fact]
    public async Task Add_url_names_the_file_from_the_url_verifies_checksums_keeps_last_modified_and_is_cached()
    {
        using var h = await BuildHarness.CreateAsync();
        using var served = new TempDirectory("gantry-http");
        var file = served.WriteFile("files/hello.txt", "hello from the url\n");
        var lastModified = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(file, lastModified);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
        using var server = new LoopbackFileServer(served.FullPath);
        var url = server.Url("files/hello.txt");
        var dockerfile = $"""
            FROM busybox
            ADD {url} /srv/
            ADD --checksum={digest} {url} /srv/renamed.txt
            """;

        var result = await h.BuildAsync(dockerfile);
        var fs = await h.UnpackAsync(result);
        Assert.Equal("hello from the url\n", File.ReadAllText(Path.Combine(fs, "srv/hello.txt")));
        Assert.Equal("hello from the url\n", File.ReadAllText(Path.Combine(fs, "srv/renamed.txt")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(fs, "srv/hello.txt")));
        Assert.Equal(lastModified, File.GetLastWriteTimeUtc(Path.Combine(fs, "srv/hello.txt")));
        Assert.Equal(2, h.Progress.Executed.Count(s => s.StartsWith("ADD ", StringComparison.Ordinal)));

        // Unchanged on the server: both steps come from the cache and the image is the same.
        var again = await h.BuildAsync(dockerfile);
        Assert.Equal(result.ImageId, again.ImageId);
        Assert.Empty(h.Progress.Executed);
        Assert.Equal(2, h.Progress.Cached.Count(s => s.StartsWith("ADD ", StringComparison.Ordinal)));

        // Changed on the server: the step runs again.
        File.WriteAllText(Path.Combine(served.FullPath, "files/other.txt"), "x");
        File.WriteAllText(file, "changed\n");
        var changed = await h.BuildAsync($"""
            FROM busybox
            ADD {url} /srv/
            """);
        Assert.Single(h.Progress.Executed);
        Assert.Equal("changed\n", File.ReadAllText(Path.Combine(await h.UnpackAsync(changed), "srv/hello.txt")));

        // A wrong checksum names the URL and both digests, and tags nothing.
        var wrong = "sha256:" + new string('0', 64);
        var ex = await Assert.ThrowsAnyAsync<GantryException>(() => h.BuildAsync($"""
            FROM busybox
            ADD --checksum={wrong} {url} /srv/
            """, o => o with { Tags = ["must-not-exist:latest"] }));
        Assert.Contains(url, ex.Message, StringComparison.Ordinal);
        Assert.Contains(wrong, ex.Message, StringComparison.Ordinal);
        Assert.Contains("sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))), ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<GantryException>(() => h.Store.ResolveAsync("must-not-exist:latest", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Add_git_fetches_a_ref_and_subdir_over_dumb_http_and_is_cached_by_commit()
    {
        Assert.SkipWhen(Requires.Which("git") is null, "needs git (apt-get install git)");
        using var h = await BuildHarness.CreateAsync();
        using var dirs = new TempDirectory("gantry-git");
        var work = dirs.Combine("work");
        var bare = dirs.Combine("served/repo.git");
        Directory.CreateDirectory(work);
        await Git(work, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(work, "README"), "top\n");
        Directory.CreateDirectory(Path.Combine(work, "app/lib"));
        File.WriteAllText(Path.Combine(work, "app/main.sh"), "#!/bin/sh\necho main\n");
        File.SetUnixFileMode(Path.Combine(work, "app/main.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
        File.WriteAllText(Path.Combine(work, "app/lib/x.txt"), "v1\n");
        await Commit(work, "v1");
        await Git(work, "tag", "v1");
        File.WriteAllText(Path.Combine(work, "app/lib/x.txt"), "v2\n");
        await Commit(work, "v2");
        await Git(dirs.FullPath, "clone", "-q", "--bare", work, bare);
        await Git(bare, "update-server-info");
        using var server = new LoopbackFileServer(dirs.Combine("served"));
        var remote = server.Url("repo.git");
        var dockerfile = $"""
            FROM busybox
            ADD {remote}#v1:app /app/
            ADD --keep-git-dir {remote} /full
            """;

        var result = await h.BuildAsync(dockerfile);
        var fs = await h.UnpackAsync(result);
        Assert.Equal("v1\n", File.ReadAllText(Path.Combine(fs, "app/lib/x.txt")));
        Assert.Equal("#!/bin/sh\necho main\n", File.ReadAllText(Path.Combine(fs, "app/main.sh")));
        Assert.True(File.GetUnixFileMode(Path.Combine(fs, "app/main.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.False(File.Exists(Path.Combine(fs, "app/README")));
        Assert.False(Directory.Exists(Path.Combine(fs, "app/.git")));
        Assert.Equal("v2\n", File.ReadAllText(Path.Combine(fs, "full/app/lib/x.txt")));
        Assert.Equal("top\n", File.ReadAllText(Path.Combine(fs, "full/README")));
        Assert.True(Directory.Exists(Path.Combine(fs, "full/.git")));

        // Nothing changed upstream: both steps cached.
        var again = await h.BuildAsync(dockerfile);
        Assert.Equal(result.ImageId, again.ImageId);
        Assert.Empty(h.Progress.Executed);

        // A new commit on main: the tag's step stays cached, the HEAD step runs again.
        File.WriteAllText(Path.Combine(work, "app/lib/x.txt"), "v3\n");
        await Commit(work, "v3");
        await Git(work, "push", "-q", bare, "main");
        await Git(bare, "update-server-info");
        var moved = await h.BuildAsync(dockerfile);
        Assert.Contains(h.Progress.Cached, s => s.Contains("#v1:app", StringComparison.Ordinal));
        Assert.Single(h.Progress.Executed);
        Assert.Equal("v3\n", File.ReadAllText(Path.Combine(await h.UnpackAsync(moved), "full/app/lib/x.txt")));

        // An unknown ref is a clear error naming it.
        var ex = await Assert.ThrowsAnyAsync<GantryException>(() => h.BuildAsync($"""
            FROM busybox
            ADD {remote}#nope /x/
            """));
        Assert.Contains("'nope'", ex.Message, StringComparison.Ordinal);
    }

    private static async Task Commit(string repo, string message)
    {
        await Git(repo, "add", "-A");
        await Git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message, "--no-verify");
    }

    private static async Task Git(string dir, params string[] args)
    {
        var result = await ProcessRunner.RunAsync("git", ["-C", dir, .. args], cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, $"git {string.Join(' ', args)} failed: {result.StdErr}");
    }
}
