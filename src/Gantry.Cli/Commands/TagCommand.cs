// Owns: `gantry tag` / `gantry image tag SOURCE TARGET`: a new name for the same image ID.
using System.CommandLine;

namespace Gantry.Cli.Commands;

internal static class TagCommand
{
    public static Command Create()
    {
        var command = new Command("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
        var source = new Argument<string>("SOURCE_IMAGE[:TAG]");
        var target = new Argument<string>("TARGET_IMAGE[:TAG]");
        command.Arguments.Add(source);
        command.Arguments.Add(target);
        command.SetAction(async (parseResult, ct) =>
        {
            var store = CliStore.Open(parseResult);
            await store.TagAsync(parseResult.GetValue(source)!, parseResult.GetValue(target)!, ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
