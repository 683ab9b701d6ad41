// Owns: `gantry cp [-a] [-L] [-q] CONTAINER:SRC DEST|-` and `gantry cp SRC|- CONTAINER:DEST` (and `container cp`).
using System.CommandLine;
using Gantry.Cli.Containers;
using Gantry.Cli.Output;
using Gantry.Oci;
using Gantry.Runtime.Copy;

namespace Gantry.Cli.Commands;

internal static class CpCommand
{
    public static Command Create()
    {
        var command = new Command("cp", "Copy files/folders between a container and the local filesystem");
        var archive = new Option<bool>("--archive", "-a") { Description = "Archive mode (copy all uid/gid information)" };
        var follow = new Option<bool>("--follow-link", "-L") { Description = "Always follow symbol link in SRC_PATH" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress progress output during copy" };
        var source = new Argument<string>("SRC_PATH") { Description = "CONTAINER:SRC_PATH, a local path, or - for a tar stream on stdin" };
        var dest = new Argument<string>("DEST_PATH") { Description = "CONTAINER:DEST_PATH, a local path, or - for a tar stream on stdout" };
        command.Options.Add(archive);
        command.Options.Add(follow);
        command.Options.Add(quiet);
        command.Arguments.Add(source);
        command.Arguments.Add(dest);
        command.SetAction(async (pr, ct) =>
        {
            var (srcCtr, srcPath) = Split(pr.GetValue(source)!);
            var (dstCtr, dstPath) = Split(pr.GetValue(dest)!);
            if (srcCtr is null && dstCtr is null)
            {
                throw new GantryException("must specify at least one container source: write the container side as CONTAINER:PATH");
            }

            if (srcCtr is not null && dstCtr is not null)
            {
                throw new GantryException("copying between containers is not supported: copy to a local folder first");
            }

            if (srcPath.Length == 0 || dstPath.Length == 0)
            {
                throw new GantryException($"invalid {(srcPath.Length == 0 ? "source" : "destination")} path: an empty path was given; use CONTAINER:PATH with a path");
            }

            var options = new CopyOptions
            {
                FollowLink = pr.GetValue(follow),
                Ownership = pr.GetValue(archive) ? CopyOwnership.Archive : CopyOwnership.Root,
            };
            var store = ContainerCli.Store(pr);
            var record = store.Get((srcCtr ?? dstCtr)!);
            using var fs = ContainerFilesystem.Open(store, record);
            long bytes;
            string shown;
            if (srcCtr is not null)
            {
                var inside = InContainer(srcPath);
                if (dstPath == "-")
                {
                    var stdout = Console.OpenStandardOutput();
                    await using (stdout.ConfigureAwait(false))
                    {
                        await ContainerCopy.WriteArchiveAsync(fs.Root, inside, stdout, options, ct).ConfigureAwait(false);
                    }

                    return 0;
                }

                bytes = await ContainerCopy.CopyAsync(fs.Root, inside, FsRoot.Host, OnHost(dstPath), options, ct).ConfigureAwait(false);
                shown = dstPath;
            }
            else
            {
                var inside = InContainer(dstPath);
                if (srcPath == "-")
                {
                    var stdin = Console.OpenStandardInput();
                    await using (stdin.ConfigureAwait(false))
                    {
                        bytes = await ContainerCopy.ExtractArchiveAsync(stdin, fs.Root, inside, options, ct).ConfigureAwait(false);
                    }
                }
                else
                {
                    bytes = await ContainerCopy.CopyAsync(FsRoot.Host, OnHost(srcPath), fs.Root, inside, options, ct).ConfigureAwait(false);
                }

                shown = dstCtr + ":" + dstPath;
            }

            if (!pr.GetValue(quiet))
            {
                Console.Error.WriteLine($"Successfully copied {HumanUnits.Size(bytes)} to {shown}");
            }

            return 0;
        });
        return command;
    }

    /// <summary>docker's splitCpArg: an absolute path or one starting with "." is local, otherwise CONTAINER:PATH splits at the first colon.</summary>
    internal static (string? Container, string Path) Split(string arg)
    {
        if (arg.StartsWith('/'))
        {
            return (null, arg);
        }

        var colon = arg.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || arg.StartsWith('.'))
        {
            return (null, arg);
        }

        return (arg[..colon], arg[(colon + 1)..]);
    }

    /// <summary>Container paths are relative to the container's root.</summary>
    private static string InContainer(string path) => path.StartsWith('/') ? path : "/" + path;

    /// <summary>An absolute host path that keeps a trailing "/" or "/." (they change what is copied).</summary>
    private static string OnHost(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (path.EndsWith("/.", StringComparison.Ordinal) || path == ".")
        {
            return full.TrimEnd('/') + "/.";
        }

        return path.EndsWith('/') && !full.EndsWith('/') ? full + "/" : full;
    }
}
