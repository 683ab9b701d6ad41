// Owns: finding the repository root, the shared/ folder beside it, and the gantry binary under test.
namespace Gantry.TestKit;

public static class RepoLayout
{
    public static string Root { get; } = FindRoot();

    /// <summary>The shared/ folder beside the repository (corpus, seeds), or null when absent.</summary>
    public static string? Shared
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("GANTRY_SHARED");
            if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
            {
                return env;
            }

            var candidate = Path.GetFullPath(Path.Combine(Root, "..", "shared"));
            return Directory.Exists(candidate) ? candidate : null;
        }
    }

    private static string FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("GANTRY_REPO");
        if (!string.IsNullOrEmpty(env) && File.Exists(Path.Combine(env, "Gantry.slnx")))
        {
            return env;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gantry.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the Gantry repository root (Gantry.slnx) above " + AppContext.BaseDirectory);
    }
}
