// Owns: docker's rule that everything after the image (run/create) or container (exec) is the container's command, not gantry options.
namespace Gantry.Cli.Containers;

internal static class CommandLineSplitter
{
    private static readonly HashSet<string> RunValueOptions = new(StringComparer.Ordinal)
    {
        "-e", "--env", "--env-file", "-w", "--workdir", "-u", "--user", "--entrypoint", "--name", "-v", "--volume", "--mount",
        "--network", "--net", "-p", "--publish", "--hostname", "--add-host", "--dns", "-m", "--memory", "--cpus", "--pids-limit",
        "--ulimit", "--cap-add", "--cap-drop", "--restart", "-l", "--label", "--pull", "--stop-signal", "--stop-timeout", "--runtime",
        "--platform", "--log-driver", "--log-opt", "--expose", "--tmpfs", "--root",
    };

    private static readonly HashSet<string> Verbs = new(StringComparer.Ordinal) { "run", "create", "exec" };

    /// <summary>Inserts "--" after the image (or container, for exec) so the command's own flags reach the container.</summary>
    public static string[] Split(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var i = 0;
        // global options before the verb
        while (i < args.Length && args[i].StartsWith('-'))
        {
            i += args[i] == "--root" ? 2 : 1;
        }

        if (i < args.Length && args[i] == "container")
        {
            i++;
        }

        if (i >= args.Length || !Verbs.Contains(args[i]))
        {
            return args;
        }

        for (i++; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "--")
            {
                return args;
            }

            if (a.StartsWith('-') && a.Length > 1)
            {
                if (!a.Contains('=', StringComparison.Ordinal) && RunValueOptions.Contains(a))
                {
                    i++;
                }

                continue;
            }

            // a is the image / container
            if (i + 1 < args.Length && args[i + 1] != "--")
            {
                return [.. args[..(i + 1)], "--", .. args[(i + 1)..]];
            }

            return args;
        }

        return args;
    }
}
