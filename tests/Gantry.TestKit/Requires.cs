// Owns: skipping tests, with a visible reason, when something they need truly is not on the machine.
namespace Gantry.TestKit;

public static class Requires
{
    public static bool IsRoot => Environment.UserName == "root";

    public static void Root() => Assert.SkipUnless(IsRoot, "needs root (overlayfs mounts, crun)");

    /// <summary>Finds an executable on PATH, or null.</summary>
    public static string? Which(string command)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':'))
        {
            var candidate = Path.Combine(dir, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Skips unless the command is on PATH; returns its full path.</summary>
    public static string Command(string command, string? package = null)
    {
        var path = Which(command);
        Assert.SkipWhen(path is null, $"needs '{command}' on PATH (apt-get install {package ?? command}; scripts/install-deps.sh does this)");
        return path!;
    }
}
