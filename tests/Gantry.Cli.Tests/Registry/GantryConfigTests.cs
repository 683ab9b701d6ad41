// Owns: tests of the gantry config reader (TOML subset, file order, env overrides, clear errors).
using Gantry.Cli.Registry;
using Gantry.Oci;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Registry;

public sealed class GantryConfigTests
{
    [Fact]
    public void Reads_mirrors_and_insecure_with_later_files_and_env_winning()
    {
        using var dir = new TempDirectory();
        var system = dir.WriteFile("etc.toml", """
            [other]
            mirrors = ["http://ignored"]
            [registry]
            mirrors = ["http://10.0.0.1:5000"]
            insecure = ["a:5000", 'b'] # comment
            """);
        var user = dir.WriteFile("user.toml", "[registry]\nmirrors = [\"https://mirror.example.com\"]\n");
        var config = GantryConfig.Load([system, user, dir.Combine("missing.toml")], _ => null);
        Assert.Equal([new Uri("https://mirror.example.com")], config.Mirrors);
        Assert.Equal(["a:5000", "b"], config.Insecure);

        var env = GantryConfig.Load([system], k => k == "GANTRY_REGISTRY_MIRRORS" ? "http://127.0.0.1:1, 127.0.0.1:2" : null);
        Assert.Equal([new Uri("http://127.0.0.1:1"), new Uri("https://127.0.0.1:2")], env.Mirrors);
    }

    [Fact]
    public void Bad_syntax_names_the_file_and_line()
    {
        using var dir = new TempDirectory();
        var file = dir.WriteFile("bad.toml", "[registry]\nmirrors = [\"http://x\"\n");
        var ex = Assert.Throws<GantryException>(() => GantryConfig.Load([file], _ => null));
        Assert.Contains("bad.toml line 2", ex.Message, StringComparison.Ordinal);
        var notUrl = dir.WriteFile("url.toml", "[registry]\nmirrors = [\"ftp://x\"]\n");
        var ex2 = Assert.Throws<GantryException>(() => GantryConfig.Load([notUrl], _ => null));
        Assert.Contains("url.toml line 2", ex2.Message, StringComparison.Ordinal);
        Assert.Contains("is not a URL", ex2.Message, StringComparison.Ordinal);
    }
}
