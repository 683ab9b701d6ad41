// Owns: `gantry push NAME[:TAG]` (--all-tags, -q, --insecure-registry).
using System.CommandLine;
using Gantry.Cli.Registry;
using Gantry.Oci;
using Gantry.Reference;

namespace Gantry.Cli.Commands;

internal static class PushCommand
{
    public static Command Create()
    {
        var command = new Command("push", "Upload an image to a registry");
        var name = new Argument<string>("NAME[:TAG]");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress verbose output" };
        var allTags = new Option<bool>("--all-tags", "-a") { Description = "Push all tags of an image to the repository" };
        var insecure = new Option<string[]>("--insecure-registry") { Description = "Allow plain HTTP / unverified TLS for this registry (repeatable)" };
        command.Arguments.Add(name);
        command.Options.Add(quiet);
        command.Options.Add(allTags);
        command.Options.Add(insecure);
        command.SetAction(async (parseResult, ct) =>
        {
            var store = CliStore.Open(parseResult);
            var settings = new RegistrySettings(extraInsecure: parseResult.GetValue(insecure), storeRoot: CliStore.Root(parseResult));
            var reference = ImageReference.Parse(parseResult.GetValue(name)!);
            if (reference.Digest is not null)
            {
                throw new GantryException($"cannot push by digest '{reference.FamiliarString}': push a NAME[:TAG]");
            }

            var q = parseResult.GetValue(quiet);
            var references = new List<ImageReference>();
            if (parseResult.GetValue(allTags))
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
                await ImagePusher.PushAsync(store, r, Console.Out, q, settings, ct).ConfigureAwait(false);
                if (q)
                {
                    Console.Out.WriteLine(r.ToString());
                }
            }

            return 0;
        });
        return command;
    }
}
