// Owns: `gantry push NAME[:TAG]` (--all-tags, -q, --insecure-registry, --compression-format, --compression-level, --force-compression).
using System.CommandLine;
using Gantry.Cli.Registry;
using Gantry.Oci;
using Gantry.Reference;
using Gantry.Registry.Client.Recompression;

namespace Gantry.Cli.Commands;

internal static class PushCommand
{
    public static Command Create()
    {
        var command = new Command("push", "Upload an image to a registry");
        var shared = new TransferVerbOptions("NAME[:TAG]", "Push all tags of an image to the repository");
        var format = new Option<string?>("--compression-format") { Description = "Compression for the pushed layers: gzip or zstd (zstd makes the manifest OCI)" };
        var level = new Option<int?>("--compression-level") { Description = "Compression level (gzip 0-9, zstd 1-22)" };
        var force = new Option<bool?>("--force-compression")
        {
            Description = "Recompress even layers the registry already has in their stored compression (default: true with --compression-format)",
        };
        shared.AddTo(command);
        command.Options.Add(format);
        command.Options.Add(level);
        command.Options.Add(force);
        command.SetAction(async (parseResult, ct) =>
        {
            var (store, settings, reference, quiet, allTags) = shared.Open(parseResult);
            if (reference.Digest is not null)
            {
                throw new GantryException($"cannot push by digest '{reference.FamiliarString}': push a NAME[:TAG]");
            }

            var compression = parseResult.GetValue(format) is { Length: > 0 } f
                ? PushCompression.Parse(f, parseResult.GetValue(level), parseResult.GetValue(force))
                : parseResult.GetValue(level) is not null || parseResult.GetValue(force) is not null
                    ? throw new GantryException("--compression-level and --force-compression need --compression-format gzip|zstd")
                    : null;
            var references = new List<ImageReference>();
            if (allTags)
            {
                if (reference.Tag is not null)
                {
                    throw new GantryException($"tag can't be used with --all-tags/-a: push '{reference.WithoutTagOrDigest().FamiliarName}' with --all-tags");
                }

                var repo = reference.WithoutTagOrDigest().Name;
                foreach (var image in await store.ListAsync(ct).ConfigureAwait(false))
                {
                    references.AddRange(image.Names.Where(n => n.Tag is not null && n.WithoutTagOrDigest().Name == repo));
                }

                if (references.Count == 0)
                {
                    throw new ContentNotFoundException($"An image does not exist locally with the name: {reference.FamiliarName}");
                }
            }
            else
            {
                references.Add(reference.WithDefaultTag());
            }

            foreach (var r in references.DistinctBy(r => r.ToString()))
            {
                await ImagePusher.PushAsync(store, r, Console.Out, quiet, settings, compression, ct).ConfigureAwait(false);
                if (quiet)
                {
                    Console.Out.WriteLine(r.ToString());
                }
            }

            return 0;
        });
        return command;
    }
}
