// Owns: `gantry import` / `gantry image import FILE|- [REPOSITORY[:TAG]]`: a rootfs tarball as a one-layer image.
using System.CommandLine;
using Gantry.Content.Archives;
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Cli.Commands;

internal static class ImportCommand
{
    public static Command Create()
    {
        var command = new Command("import", "Import the contents from a tarball to create a filesystem image");
        var change = new Option<string[]>("--change", "-c") { Description = "Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR)" };
        var message = new Option<string?>("--message", "-m") { Description = "Set commit message for imported image" };
        var platform = new Option<string?>("--platform") { Description = "Set platform if server is multi-platform capable" };
        var file = new Argument<string>("file|-");
        var name = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        command.Options.Add(change);
        command.Options.Add(message);
        command.Options.Add(platform);
        command.Arguments.Add(file);
        command.Arguments.Add(name);
        command.SetAction(async (parseResult, ct) =>
        {
            var nameText = parseResult.GetValue(name);
            var reference = string.IsNullOrEmpty(nameText) ? null : ImageReference.Parse(nameText);
            if (reference?.Digest is not null)
            {
                throw new InvalidReferenceException(nameText!, "an imported image cannot be named by digest; use NAME[:TAG]");
            }

            var platformText = parseResult.GetValue(platform);
            var plat = string.IsNullOrEmpty(platformText) ? null : Platform.Parse(platformText);
            var path = parseResult.GetValue(file)!;
            var store = CliStore.Open(parseResult);
            Stream input;
            if (path == "-")
            {
                input = Console.OpenStandardInput();
            }
            else
            {
                try
                {
                    input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
                }
                catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
                {
                    throw new GantryException($"open {path}: no such file or directory");
                }
            }

            await using (input.ConfigureAwait(false))
            {
                var image = await ImageImporter.ImportAsync(store, input, path, reference?.WithDefaultTag(), parseResult.GetValue(change) ?? [], parseResult.GetValue(message), plat, ct).ConfigureAwait(false);
                Console.Out.WriteLine(image.Id.ToString());
            }

            return 0;
        });
        return command;
    }
}
