// Owns: the options every gantry verb accepts (--root, --debug) and where the store lives by default.
using System.CommandLine;

namespace Gantry.Cli;

public static class GlobalOptions
{
    public static readonly Option<string?> Root = new("--root")
    {
        Description = "Storage root (default: $GANTRY_ROOT, /var/lib/gantry for root, $XDG_DATA_HOME/gantry otherwise)",
        Recursive = true,
    };

    public static readonly Option<bool> Debug = new("--debug", "-D")
    {
        Description = "Show stack traces and debug output",
        Recursive = true,
    };

    /// <summary>Resolves the storage root from --root, GANTRY_ROOT, then the per-user default.</summary>
    public static string ResolveRoot(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var fromFlag = parseResult.GetValue(Root);
        if (!string.IsNullOrEmpty(fromFlag))
        {
            return Path.GetFullPath(fromFlag);
        }

        var fromEnv = Environment.GetEnvironmentVariable("GANTRY_ROOT");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return Path.GetFullPath(fromEnv);
        }

        if (Environment.UserName == "root" || IsRoot())
        {
            return "/var/lib/gantry";
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(xdg))
        {
            xdg = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }

        return Path.Combine(xdg, "gantry");
    }

    private static bool IsRoot() => OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("EUID") == "0";
}
