// Owns: `gantry save` / `gantry image save`: images to a tar that is both a docker-archive and an OCI layout.
using System.CommandLine;
using Gantry.Content;
using Gantry.Content.Archives;
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Cli.Commands;

internal static class SaveCommand
{
    public static Command Create()
    {
        var command = new Command("save", "Save one or more images to a tar archive (streamed to STDOUT by default)");
        var output = new Option<string?>("--output", "-o") { Description = "Write to a file, instead of STDOUT" };
        var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
        command.Options.Add(output);
        command.Arguments.Add(images);
        command.SetAction(async (parseResult, ct) =>
        {
            var store = CliStore.Open(parseResult);
            var items = new List<ArchiveWriter.Item>();
            foreach (var arg in parseResult.GetValue(images) ?? [])
            {
                var image = await store.ResolveAsync(arg, ct).ConfigureAwait(false);
                items.Add(new ArchiveWriter.Item(image, NamesFor(image, arg)));
            }

            var path = parseResult.GetValue(output);
            if (string.IsNullOrEmpty(path))
            {
                if (!Console.IsOutputRedirected)
                {
                    throw new GantryException("cowardly refusing to save to a terminal. Use the -o flag or redirect");
                }

                var stdout = Console.OpenStandardOutput();
                await using (stdout.ConfigureAwait(false))
                {
                    await ArchiveWriter.WriteAsync(store, items, stdout, ct).ConfigureAwait(false);
                }

                return 0;
            }

            var full = Path.GetFullPath(path);
            var temp = full + $".tmp-{Environment.ProcessId}";
            try
            {
                var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
                await using (file.ConfigureAwait(false))
                {
                    await ArchiveWriter.WriteAsync(store, items, file, ct).ConfigureAwait(false);
                    file.Flush(flushToDisk: true);
                }

                File.Move(temp, full, overwrite: true);
            }
            catch
            {
                File.Delete(temp);
                throw;
            }

            return 0;
        });
        return command;
    }

    /// <summary>The names to record: the one given (docker saves just that tag), every tag of a bare repository name, none for an ID.</summary>
    private static List<ImageReference> NamesFor(Image image, string arg)
    {
        if (!ImageReference.TryParse(arg, out var reference))
        {
            return [];
        }

        if (reference.Digest is not null)
        {
            return [.. image.Names.Where(n => n.Name == reference.Name && n.Tag is not null)];
        }

        if (reference.Tag is null)
        {
            var tags = image.Names.Where(n => n.Name == reference.Name && n.Tag is not null).ToList();
            if (tags.Count > 0)
            {
                return tags;
            }
        }

        var full = reference.WithDefaultTag();
        return image.Names.Any(n => n.ToString() == full.ToString()) ? [full] : [];
    }
}
