// Owns: RUN [--mount=…] [--network=…] [--security=…] command.
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Instructions;

/// <summary>
/// <c>RUN</c>. The command is never expanded by Gantry (the shell does it); the <c>--mount</c> option values are
/// (BuildKit expands them), so <see cref="Expand"/> re-reads <see cref="Mounts"/> from the expanded raw values.
/// <see cref="Network"/> is <c>default</c>, <c>none</c> or <c>host</c> (null when not given);
/// <see cref="Security"/> is <c>sandbox</c> or <c>insecure</c> (null when not given).
/// </summary>
public sealed record RunInstruction : Instruction
{
    public required CommandLine Command { get; init; }

    public IReadOnlyList<MountSpec> Mounts { get; init; } = [];

    public string? Network { get; init; }

    public string? Security { get; init; }

    public override string Name => "RUN";

    public override bool ExpandsVariables => Mounts.Count > 0;

    protected override Instruction ExpandCore(IWordExpander expander)
    {
        var mounts = new List<MountSpec>(Mounts.Count);
        foreach (var m in Mounts)
        {
            mounts.Add(MountParser.Parse(expander.ExpandWord(m.Raw)));
        }

        return this with { Mounts = mounts };
    }
}
