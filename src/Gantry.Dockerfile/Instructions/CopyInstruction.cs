// Owns: COPY [--from] [--chown] [--chmod] [--link] [--parents] [--exclude] src… dest (and heredoc sources).
using Gantry.Dockerfile.Shell;
using Gantry.Dockerfile.Syntax;

namespace Gantry.Dockerfile.Instructions;

/// <summary>
/// <c>COPY</c>. <see cref="SourceContents"/> holds heredoc sources (<c>COPY &lt;&lt;EOF /dst</c>: a file named
/// <see cref="Heredoc.Name"/> with that content); they are not in <see cref="Sources"/>. Sources, destination, --from,
/// --chown, --chmod and --exclude are expanded at dispatch.
/// </summary>
public sealed record CopyInstruction : Instruction
{
    public required IReadOnlyList<string> Sources { get; init; }

    public required string Destination { get; init; }

    public IReadOnlyList<Heredoc> SourceContents { get; init; } = [];

    /// <summary>Exec (JSON) form was used: sources may contain spaces.</summary>
    public bool IsJson { get; init; }

    public string? From { get; init; }

    public string? Chown { get; init; }

    public string? Chmod { get; init; }

    public bool Link { get; init; }

    public bool Parents { get; init; }

    public IReadOnlyList<string> Excludes { get; init; } = [];

    public override string Name => "COPY";

    public override bool ExpandsVariables => true;

    protected override Instruction ExpandCore(IWordExpander expander) => this with
    {
        Sources = ExpandSources(expander, Sources),
        Destination = expander.ExpandWord(Destination),
        From = ExpandOptional(expander, From),
        Chown = ExpandOptional(expander, Chown),
        Chmod = ExpandOptional(expander, Chmod),
        Excludes = ExpandAll(expander, Excludes),
    };

    internal static IReadOnlyList<string> ExpandSources(IWordExpander expander, IReadOnlyList<string> sources)
    {
        var list = new List<string>(sources.Count);
        foreach (var s in sources)
        {
            list.Add(expander.ExpandWord(s));
        }

        return list;
    }
}
