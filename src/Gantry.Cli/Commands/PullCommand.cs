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
        var name = new Argument<string>("NAME[:TAG|@DIGEST]");
        var platform = new Option<string?>("--platform") { Description = "Set platform if server is multi-platform capable (e.g. linux/arm64)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress verbose output" };
        var allTags = new Option<bool>("--all-tags", "-a") { Description = "Download all tagged images in the repository" };
        var insecure = new Option<string[]>("--insecure-registry") { Description = "Allow plain HTTP / unverified TLS for this registry (repeatable)" };
        command.Arguments.Add(name);
        command.Options.Add(platform);
        command.Options.Add(quiet);
        command.Options.Add(allTags);
        command.Options.Add(insecure);
        command.SetAction(async (parseResult, ct) =>
        {
            var store = CliStore.Open(parseResult);
            var settings = new RegistrySettings(extraInsecure: parseResult.GetValue(insecure), storeRoot: CliStore.Root(parseResult));
            var reference = ImageReference.Parse(parseResult.GetValue(name)!);
            var wanted = parseResult.GetValue(platform) is { Length: > 0 } p ? Platform.Parse(p) : null;
            var q = parseResult.GetValue(quiet);
            var references = new List<ImageReference>();
            if (parseResult.GetValue(allTags))
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
                await ImagePuller.PullAsync(store, r, wanted, Console.Out, q, settings, ct).ConfigureAwait(false);
            }

            Console.Out.WriteLine(references.Count == 1 ? references[0].ToString() : reference.WithoutTagOrDigest().Name);
            return 0;
        });
        return command;
    }
}
