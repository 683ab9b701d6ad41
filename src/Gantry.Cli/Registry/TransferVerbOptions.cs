// Owns: the option set-up `gantry pull` and `gantry push` share (NAME argument, -q, -a, --insecure-registry) and the store/settings they open.
using System.CommandLine;
using Gantry.Content;
using Gantry.Reference;

namespace Gantry.Cli.Registry;

/// <summary>
/// One place for what pull and push have in common: <c>NAME</c>, <c>--quiet/-q</c>, <c>--all-tags/-a</c>,
/// <c>--insecure-registry</c>, the image store and the <see cref="RegistrySettings"/> built from them.
/// </summary>
internal sealed class TransferVerbOptions
{
    public TransferVerbOptions(string nameLabel, string allTagsDescription)
    {
        Name = new Argument<string>(nameLabel);
        AllTags = new Option<bool>("--all-tags", "-a") { Description = allTagsDescription };
    }

    public Argument<string> Name { get; }

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Suppress verbose output" };

    public Option<bool> AllTags { get; }

    public Option<string[]> Insecure { get; } = new("--insecure-registry") { Description = "Allow plain HTTP / unverified TLS for this registry (repeatable)" };

    /// <summary>Adds the argument and the shared options to <paramref name="command"/> (verb-specific options go after).</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Arguments.Add(Name);
        command.Options.Add(Quiet);
        command.Options.Add(AllTags);
        command.Options.Add(Insecure);
    }

    /// <summary>What the parsed command line asks for: the store, the registry settings, the reference and the flags.</summary>
    public TransferVerbContext Open(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new TransferVerbContext(
            CliStore.Open(parseResult),
            new RegistrySettings(extraInsecure: parseResult.GetValue(Insecure), storeRoot: CliStore.Root(parseResult)),
            ImageReference.Parse(parseResult.GetValue(Name)!),
            parseResult.GetValue(Quiet),
            parseResult.GetValue(AllTags));
    }
}

/// <summary>A parsed pull/push command line.</summary>
internal sealed record TransferVerbContext(ImageStore Store, RegistrySettings Settings, ImageReference Reference, bool Quiet, bool AllTags);
