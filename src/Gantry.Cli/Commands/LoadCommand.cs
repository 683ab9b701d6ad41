// Owns: `gantry load` / `gantry image load`: docker-archive or oci-archive from -i FILE or stdin, all or nothing.
using System.CommandLine;
using Gantry.Content.Archives;
using Gantry.Oci;

namespace Gantry.Cli.Commands;

internal static class LoadCommand
{
    public static Command Create()
    {
        var command = new Command("load", "Load an image from a tar archive or STDIN");
        var input = new Option<string?>("--input", "-i") { Description = "Read from tar archive file, instead of STDIN" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the load output" };
        command.Options.Add(input);
        command.Options.Add(quiet);
        command.SetAction(async (parseResult, ct) =>
        {
            var store = CliStore.Open(parseResult);
            var path = parseResult.GetValue(input);
            Stream stream;
            string source;
            if (string.IsNullOrEmpty(path) || path == "-")
            {
                if (!Console.IsInputRedirected)
                {
                    throw new GantryException("requested load from stdin, but stdin is empty: use -i FILE or pipe an archive in");
                }

                stream = Console.OpenStandardInput();
                source = "-";
            }
            else
            {
                try
                {
                    stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
                }
                catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
                {
                    throw new GantryException($"open {path}: no such file or directory");
                }

                source = path;
            }

            ArchiveLoader.Result result;
            await using (stream.ConfigureAwait(false))
            {
                result = await ArchiveLoader.LoadAsync(store, stream, source, CliStore.TempDirectory(parseResult), ct).ConfigureAwait(false);
            }

            if (!parseResult.GetValue(quiet))
            {
                foreach (var message in result.Messages)
                {
                    Console.Out.WriteLine(message);
                }
            }

            return 0;
        });
        return command;
    }
}
