// Owns: ImageReference parsing, normalization and display checked against docker's distribution/reference test cases.
using Gantry.Reference;

namespace Gantry.Reference.Tests;

public sealed class ImageReferenceTests
{
    private const string Hex = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";

    [Theory]
    // From normalize_test.go TestValidateReferenceName / TestParseRepositoryInfo and the tutorials.
    [InlineData("cron-ticker", "docker.io/library/cron-ticker", null, "cron-ticker")]
    [InlineData("isaias0328/cron-ticker:pantera", "docker.io/isaias0328/cron-ticker", "pantera", "isaias0328/cron-ticker")]
    [InlineData("docker/docker", "docker.io/docker/docker", null, "docker/docker")]
    [InlineData("library/debian", "docker.io/library/debian", null, "debian")]
    [InlineData("debian", "docker.io/library/debian", null, "debian")]
    [InlineData("docker.io/docker/docker", "docker.io/docker/docker", null, "docker/docker")]
    [InlineData("docker.io/library/debian", "docker.io/library/debian", null, "debian")]
    [InlineData("docker.io/debian", "docker.io/library/debian", null, "debian")]
    [InlineData("index.docker.io/docker/docker", "docker.io/docker/docker", null, "docker/docker")]
    [InlineData("index.docker.io/library/debian", "docker.io/library/debian", null, "debian")]
    [InlineData("docker.io/library/foo/bar", "docker.io/library/foo/bar", null, "library/foo/bar")]
    [InlineData("localhost/library/debian", "localhost/library/debian", null, "localhost/library/debian")]
    [InlineData("localhost:5000/a/b:t", "localhost:5000/a/b", "t", "localhost:5000/a/b")]
    [InlineData("127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian", null, "127.0.0.1:5000/library/debian")]
    [InlineData("192.168.0.1:8/debian", "192.168.0.1:8/debian", null, "192.168.0.1:8/debian")]
    [InlineData("foo_bar.com:8080", "docker.io/library/foo_bar.com", "8080", "foo_bar.com")]
    [InlineData("foo/foo_bar.com:8080", "docker.io/foo/foo_bar.com", "8080", "foo/foo_bar.com")]
    [InlineData("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000/repo", null, "[2001:db8::1]:5000/repo")]
    [InlineData("[2001:db8::1]/repo:tag", "[2001:db8::1]/repo", "tag", "[2001:db8::1]/repo")]
    [InlineData("a.b.c/x/y/z:1.0-rc_1", "a.b.c/x/y/z", "1.0-rc_1", "a.b.c/x/y/z")]
    [InlineData("Uppercase/foo", "Uppercase/foo", null, "Uppercase/foo")]
    [InlineData("ghcr.io/owner/app__x.y-z:v1", "ghcr.io/owner/app__x.y-z", "v1", "ghcr.io/owner/app__x.y-z")]
    public void Parses_and_normalizes_like_docker(string input, string name, string? tag, string familiar)
    {
        var r = ImageReference.Parse(input);
        Assert.Equal(name, r.Name);
        Assert.Equal(tag, r.Tag);
        Assert.Equal(familiar, r.FamiliarName);
        Assert.Null(r.Digest);
    }

    [Fact]
    public void Default_tag_is_latest_and_full_string_is_normalized()
    {
        Assert.Equal("docker.io/library/cron-ticker:latest", ImageReference.ParseWithDefaultTag("cron-ticker").ToString());
        Assert.Equal("cron-ticker:latest", ImageReference.ParseWithDefaultTag("cron-ticker").FamiliarString);
        Assert.Equal("docker.io/isaias0328/cron-ticker:pantera", ImageReference.ParseWithDefaultTag("isaias0328/cron-ticker:pantera").ToString());
        Assert.Equal("isaias0328/cron-ticker:pantera", ImageReference.Parse("docker.io/isaias0328/cron-ticker:pantera").FamiliarString);
    }

    [Fact]
    public void Digests_and_tag_plus_digest()
    {
        var byDigest = ImageReference.Parse($"busybox@sha256:{Hex}");
        Assert.Equal("docker.io/library/busybox", byDigest.Name);
        Assert.Null(byDigest.Tag);
        Assert.Equal($"sha256:{Hex}", byDigest.Digest.ToString());
        Assert.Equal($"busybox@sha256:{Hex}", byDigest.FamiliarString);
        Assert.Same(byDigest, byDigest.WithDefaultTag());

        var both = ImageReference.Parse($"localhost:5000/a/b:t@sha256:{Hex}");
        Assert.Equal("t", both.Tag);
        Assert.Equal($"sha256:{Hex}", both.Digest.ToString());
        Assert.Equal($"localhost:5000/a/b:t@sha256:{Hex}", both.ToString());
        Assert.Equal($"localhost:5000/a/b@sha256:{Hex}", both.ToDockerRef().ToString());
    }

    [Fact]
    public void Registry_host_repository_and_scopes()
    {
        var hub = ImageReference.Parse("cron-ticker");
        Assert.Equal("docker.io", hub.Registry);
        Assert.Equal("registry-1.docker.io", hub.RegistryHost);
        Assert.Equal("library/cron-ticker", hub.Repository);
        Assert.Equal("repository:library/cron-ticker:pull", hub.PullScope);
        Assert.Equal("repository:library/cron-ticker:pull,push", hub.PushScope);
        var local = ImageReference.Parse("localhost:5000/a/b:t");
        Assert.Equal("localhost:5000", local.RegistryHost);
        Assert.Equal("a/b", local.Repository);
        Assert.Equal("repository:a/b:pull,push", local.Scope("pull", "push"));
    }

    [Theory]
    [InlineData("", "at least one component")]
    [InlineData(Hex, "64-byte hexadecimal")]
    [InlineData("UPPERCASEREPO", "must be lowercase")]
    [InlineData("docker/Docker", "must be lowercase")]
    [InlineData("docker.io/UPPERCASEREPO", "must be lowercase")]
    [InlineData("-docker", "component '-docker'")]
    [InlineData("docker-", "component 'docker-'")]
    [InlineData("-docker/docker", "component '-docker'")]
    [InlineData("docker///docker", "empty components")]
    [InlineData("docker.io/docker//docker", "empty components")]
    [InlineData("a/b:-tag", "invalid tag format")]
    [InlineData("a/b:ta g", "invalid")]
    [InlineData("a/b:", "must not be empty")]
    [InlineData("a/b:ta$g", "invalid tag format")]
    [InlineData("a/b@sha256:abc", "invalid digest format")]
    [InlineData("a/b@sha256:" + "ZZ3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "invalid digest format")]
    [InlineData("a/b@md5:" + Hex, "invalid digest format")]
    [InlineData("a/b@", "invalid digest format")]
    [InlineData("aa/asdf$$^/aa", "component 'asdf$$^'")]
    [InlineData("bad_host_name:5000/repo", "invalid registry")]
    public void Rejects_invalid_names_with_the_rule(string input, string rule)
    {
        var ex = Assert.Throws<InvalidReferenceException>(() => ImageReference.Parse(input));
        Assert.Contains(rule, ex.Message, StringComparison.Ordinal);
        Assert.False(ImageReference.TryParse(input, out _));
    }

    [Fact]
    public void Tag_length_limit_is_128()
    {
        Assert.Equal(new string('a', 128), ImageReference.Parse("repo:" + new string('a', 128)).Tag);
        var ex = Assert.Throws<InvalidReferenceException>(() => ImageReference.Parse("repo:" + new string('a', 129)));
        Assert.Contains("at most 128 characters", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Name_length_limit_is_255_including_the_domain()
    {
        // docker.io/library/ is 18 characters: 237 more make exactly 255.
        Assert.NotNull(ImageReference.Parse(new string('a', 237)));
        var ex = Assert.Throws<InvalidReferenceException>(() => ImageReference.Parse(new string('a', 238)));
        Assert.Contains("not be more than 255 characters", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ImageReference.Parse("localhost/" + new string('a', 245)));
        Assert.Throws<InvalidReferenceException>(() => ImageReference.Parse("localhost/" + new string('a', 246)));
    }

    [Fact]
    public void Sha256_looking_name_is_a_name_with_a_tag_as_docker_does()
    {
        var r = ImageReference.Parse("sha256:" + Hex);
        Assert.Equal("docker.io/library/sha256", r.Name);
        Assert.Equal(Hex, r.Tag);
    }

    [Fact]
    public void Equal_references_are_equal()
    {
        Assert.Equal(ImageReference.Parse("busybox"), ImageReference.Parse("docker.io/library/busybox"));
        Assert.Equal(ImageReference.ParseWithDefaultTag("busybox"), ImageReference.Parse("index.docker.io/library/busybox:latest"));
    }
}
