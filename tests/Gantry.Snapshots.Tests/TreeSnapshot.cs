// Owns: describing a directory tree (type, mode, owner, size, link target, content hash) for comparing trees in tests.
using System.Security.Cryptography;
using Gantry.TestKit;

namespace Gantry.Snapshots.Tests;

internal static class TreeSnapshot
{
    /// <summary>One line per path: "path type mode uid:gid extra", sorted; mtimes left out unless asked for.</summary>
    public static SortedDictionary<string, string> Describe(string root, bool withMtime = false)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var r = ProcessRunner.Run("find", [root, "-mindepth", "1", "-printf", withMtime ? "%P\t%y\t%m\t%U:%G\t%s\t%l\t%T@\n" : "%P\t%y\t%m\t%U:%G\t%s\t%l\n"]);
        Assert.Equal(0, r.ExitCode);
        foreach (var line in r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t');
            var extra = parts[1] == "f" ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, parts[0]))))[..16] : string.Empty;
            var size = parts[1] == "d" ? string.Empty : parts[4];
            result[parts[0]] = $"{parts[1]} {parts[2]} {parts[3]} {size} {parts[5]} {extra}" + (withMtime ? " " + parts[6] : string.Empty);
        }

        return result;
    }

    public static void AssertSame(string expectedRoot, string actualRoot, bool withMtime = false)
    {
        var expected = Describe(expectedRoot, withMtime);
        var actual = Describe(actualRoot, withMtime);
        var missing = expected.Keys.Except(actual.Keys).Take(10).ToList();
        var extra = actual.Keys.Except(expected.Keys).Take(10).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0, $"missing: {string.Join(", ", missing)}; extra: {string.Join(", ", extra)}");
        foreach (var (path, line) in expected)
        {
            Assert.True(line == actual[path], $"{path}: expected '{line}', got '{actual[path]}'");
        }
    }
}
