// Owns: ADD [--chown] [--chmod] [--link] [--keep-git-dir] [--checksum] [--exclude] [--parents] [--unpack] src… dest.
using Gantry.Dockerfile.Shell;
using Gantry.Dockerfile.Syntax;

namespace Gantry.Dockerfile.Instructions;

/// <summary><c>ADD</c>. Like COPY plus URLs, git sources, archives unpacked (<see cref="Unpack"/> null = auto).</summary>
public sealed record AddInstruction : Instruction
{
    public required IReadOnlyList<string> Sources { get; init; }

    public required string Destination { get; init; }

    public IReadOnlyList<Heredoc> SourceContents { get; init; } = [];

    public bool IsJson { get; init; }

    public string? Chown { get; init; }

    public string? Chmod { get; init; }

    public bool Link { get; init; }

    public bool KeepGitDir { get; init; }

    public string? Checksum { get; init; }

    public bool Parents { get; init; }

    public bool? Unpack { get; init; }

    public IReadOnlyList<string> Excludes { get; init; } = [];

    public override string Name => "ADD";

    public override bool ExpandsVariables => true;

    protected override Instruction ExpandCore(IWordExpander expander) => this with
    {
        Sources = CopyInstruction.ExpandSources(expander, Sources),
        Destination = expander.ExpandWord(Destination),
        Chown = ExpandOptional(expander, Chown),
        Chmod = ExpandOptional(expander, Chmod),
        Checksum = ExpandOptional(expander, Checksum),
        Excludes = ExpandAll(expander, Excludes),
    };
}
