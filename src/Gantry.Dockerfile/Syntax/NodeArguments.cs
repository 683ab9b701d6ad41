// Owns: the typed shapes an instruction's arguments take in the syntax tree (BuildKit's Next chain, typed).
namespace Gantry.Dockerfile.Syntax;

/// <summary>The arguments of one instruction, as the parser split them (no expansion, no unquoting).</summary>
public abstract record NodeArguments
{
    /// <summary>The argument nodes exactly as BuildKit's <c>Node.Next</c> chain holds them (for the AST dump).</summary>
    public abstract IReadOnlyList<string> Flatten();
}

/// <summary>No arguments at all (<c>CMD []</c>, bare <c>HEALTHCHECK</c>, <c>RUN</c> with nothing after it).</summary>
public sealed record NoArguments : NodeArguments
{
    public static NoArguments Instance { get; } = new();

    public override IReadOnlyList<string> Flatten() => [];
}

/// <summary>An unknown instruction: BuildKit keeps it in the tree with one empty argument; the typed layer rejects it.</summary>
public sealed record IgnoredArguments(string Raw) : NodeArguments
{
    public override IReadOnlyList<string> Flatten() => [""];
}

/// <summary>
/// A list of words. <see cref="IsJson"/> is true for the exec (JSON array) form; for shell-form RUN/CMD/ENTRYPOINT/SHELL
/// the list holds one element, the whole command text; for ADD/COPY/VOLUME/FROM/EXPOSE it holds the
/// whitespace-separated words; for ARG the words keep their quotes; for MAINTAINER/USER/WORKDIR/STOPSIGNAL the whole rest.
/// </summary>
public sealed record WordArguments(IReadOnlyList<string> Words, bool IsJson) : NodeArguments
{
    public override IReadOnlyList<string> Flatten() => Words;
}

/// <summary>ENV / LABEL pairs. Values keep their quotes and escapes (they are processed at dispatch).</summary>
public sealed record KeyValueArguments(IReadOnlyList<KeyValueSyntax> Pairs) : NodeArguments
{
    public override IReadOnlyList<string> Flatten()
    {
        var list = new List<string>(Pairs.Count * 3);
        foreach (var p in Pairs)
        {
            list.Add(p.Key);
            list.Add(p.Value);
            list.Add(p.HasEquals ? "=" : "");
        }

        return list;
    }
}

/// <summary>One ENV/LABEL pair; <see cref="HasEquals"/> is false for the legacy <c>ENV key value</c> form.</summary>
public sealed record KeyValueSyntax(string Key, string Value, bool HasEquals);

/// <summary>HEALTHCHECK: the type word (<c>CMD</c>, <c>NONE</c>, …) then the command as for CMD.</summary>
public sealed record HealthcheckArguments(string Type, WordArguments? Command) : NodeArguments
{
    public override IReadOnlyList<string> Flatten()
    {
        var list = new List<string> { Type };
        if (Command is not null)
        {
            list.AddRange(Command.Words);
        }

        return list;
    }
}

/// <summary>ONBUILD: the trigger instruction, parsed like any other.</summary>
public sealed record SubInstructionArguments(InstructionNode Trigger) : NodeArguments
{
    public override IReadOnlyList<string> Flatten() => [];
}
