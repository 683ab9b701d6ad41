// Owns: finding argv[0] inside the rootfs before starting, so a missing command fails like docker (exit 127) with nothing left behind.
using Gantry.Oci;

namespace Gantry.Runtime;

/// <summary>The container's command could not be started (docker exits 127 for not found, 126 for not executable).</summary>
public sealed class CommandNotFoundException : GantryException
{
    public CommandNotFoundException(string message, int exitCode)
        : base(message)
    {
        ExitCode = exitCode;
    }
}

internal static class CommandResolver
{
    /// <summary>Checks that args[0] exists and is executable inside the rootfs, searching the container's PATH when it has no slash.</summary>
    public static void Check(string rootfs, IReadOnlyList<string> args, IReadOnlyList<string> env, string workingDir)
    {
        if (args.Count == 0 || args[0].Length == 0)
        {
            throw new GantryException("no command specified: give a command after the image name, or build the image with CMD or ENTRYPOINT") { ExitCode = 125 };
        }

        var cmd = args[0];
        if (cmd.Contains('/', StringComparison.Ordinal))
        {
            var containerPath = cmd.StartsWith('/') ? cmd : Path.Combine(string.IsNullOrEmpty(workingDir) ? "/" : workingDir, cmd);
            var host = RootPath.Resolve(rootfs, containerPath);
            if (!File.Exists(host))
            {
                throw new CommandNotFoundException(Directory.Exists(host)
                    ? $"exec: \"{cmd}\": is a directory"
                    : $"exec: \"{cmd}\": stat {cmd}: no such file or directory", Directory.Exists(host) ? 126 : 127);
            }

            if (!IsExecutable(host))
            {
                throw new CommandNotFoundException($"exec: \"{cmd}\": permission denied", 126);
            }

            return;
        }

        var path = env.Select(e => e.Split('=', 2)).FirstOrDefault(kv => kv[0] == "PATH" && kv.Length == 2)?[1] ?? Spec.SpecGenerator.DefaultPath;
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var host = RootPath.Resolve(rootfs, dir.TrimEnd('/') + "/" + cmd);
            if (File.Exists(host) && IsExecutable(host))
            {
                return;
            }
        }

        throw new CommandNotFoundException($"exec: \"{cmd}\": executable file not found in $PATH", 127);
    }

    private static bool IsExecutable(string path)
    {
        try
        {
            return (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
