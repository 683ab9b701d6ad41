// Owns: `gantry pull NAME[:TAG|@DIGEST]` (--platform, -q, --all-tags, --insecure-registry).
using System.CommandLine;
using Gantry.Cli.Registry;
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Cli.Commands;

internal static class PullCommand
{
    public static Command Create()
    {
        var command = new Command("pull", "Download an image from a registry");
        var shared = new TransferVerbOptions("NAME[:TAG|@DIGEST]", "Download all tagged images in the repository");
        var platform = new Option<string?>("--platform") { Description = "Set platform if server is multi-platform capable (e.g. linux/arm64)" };
        shared.AddTo(command);
        command.Options.Add(platform);
        command.SetAction(async (parseResult, ct) =>
        {
            var (store, settings, reference, quiet, allTags) = shared.Open(parseResult);
            var wanted = parseResult.GetValue(platform) is { Length: > 0 } p ? Platform.Parse(p) : null;
            var references = new List<ImageReference>();
            if (allTags)
            {
                if (!reference.IsNameOnly)
                {
                    throw new GantryException($"tag can't be used with --all-tags/-a: pull '{reference.WithoutTagOrDigest().FamiliarName}' with --all-tags");
                }

                using var client = settings.ClientFor(reference);
                foreach (var tag in await client.ListTagsAsync(reference.Path, ct).ConfigureAwait(false))
                {
                    references.Add(reference.WithTag(tag));
                }
            }
            else
            {
                references.Add(reference.ToDockerRef());
            }

            foreach (var r in references)
            {
                await ImagePuller.PullAsync(store, r, wanted, Console.Out, quiet, settings, ct).ConfigureAwait(false);
            }

            Console.Out.WriteLine(references.Count == 1 ? references[0].ToString() : reference.WithoutTagOrDigest().Name);
            return 0;
        });
        return command;
    }
}
