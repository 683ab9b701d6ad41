// Owns: choosing the build progress display from --progress (auto, plain, tty) and whether stderr is a terminal.
using Gantry.Build;

namespace Gantry.Cli.BuildSupport;

internal static class ProgressFactory
{
    public static IBuildProgress Create(string? mode)
    {
        var wanted = (mode ?? "auto").ToLowerInvariant();
        if (wanted is not ("auto" or "plain" or "tty" or "rawjson"))
        {
            throw new Gantry.Oci.GantryException($"--progress={mode} is not known; use auto, plain, tty or quiet");
        }

        var terminal = !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is { Length: > 0 } term && term != "dumb";
        if (wanted == "tty" || (wanted == "auto" && terminal))
        {
            return new TtyBuildProgress(Console.Error);
        }

        return new PlainBuildProgress(Console.Error);
    }
}
