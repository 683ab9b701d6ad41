// Owns: building typed, validated instructions and stages from the syntax tree (BuildKit's instructions.Parse).
using System.Globalization;
using Gantry.Dockerfile.Syntax;

namespace Gantry.Dockerfile.Instructions;

/// <summary>Turns a <see cref="DockerfileAst"/> into a <see cref="DockerfileModel"/>, validating every instruction.</summary>
public static class InstructionParser
{
    /// <summary>Every instruction keyword Docker knows (lower-case).</summary>
    public static IReadOnlyList<string> KnownInstructions { get; } =
    [
        "add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck", "label", "maintainer",
        "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir",
    ];

    /// <summary>Builds the model; throws <see cref="DockerfileException"/> at the first invalid instruction.</summary>
    public static DockerfileModel Build(DockerfileAst ast)
    {
        ArgumentNullException.ThrowIfNull(ast);
        var metaArgs = new List<ArgInstruction>();
        var stages = new List<(FromInstruction From, List<Instruction> Body)>();
        var names = new Dictionary<string, FromInstruction>(StringComparer.Ordinal);
        foreach (var node in ast.Instructions)
        {
            var instruction = ParseInstruction(ast, node);
            if (instruction is FromInstruction from)
            {
                if (from.StageName is not null)
                {
                    if (names.TryGetValue(from.StageName, out var first))
                    {
                        throw Located(ast, node, $"duplicate stage name \"{from.StageName}\": it is already the name of the stage at line {first.Range.StartLine}; stage names must be unique");
                    }

                    names[from.StageName] = from;
                }

                stages.Add((from, []));
            }
            else if (stages.Count == 0)
            {
                if (instruction is ArgInstruction arg)
                {
                    metaArgs.Add(arg);
                }
                else
                {
                    throw Located(ast, node, $"no build stage in current context: {node.Keyword.ToUpperInvariant()} comes before the first FROM (only ARG may come before FROM)");
                }
            }
            else
            {
                stages[^1].Body.Add(instruction);
            }
        }

        var list = new List<Stage>(stages.Count);
        for (var i = 0; i < stages.Count; i++)
        {
            list.Add(new Stage(i, stages[i].From, stages[i].Body));
        }

        return new DockerfileModel(ast, metaArgs, list);
    }

    /// <summary>Parses one syntax node into its typed instruction (errors located at the node).</summary>
    public static Instruction ParseInstruction(DockerfileAst ast, InstructionNode node)
    {
        ArgumentNullException.ThrowIfNull(ast);
        ArgumentNullException.ThrowIfNull(node);
        try
        {
            return Parse(node, false);
        }
        catch (DockerfileException ex) when (ex.StartLine == 0)
        {
            throw Located(ast, node, ex.Detail);
        }
    }

    private static DockerfileException Located(DockerfileAst ast, InstructionNode node, string detail)
    {
        var lines = new List<string>();
        for (var i = node.Range.StartLine; i <= node.Range.EndLine && i >= 1 && i <= ast.Lines.Count; i++)
        {
            lines.Add(ast.Lines[i - 1]);
        }

        return new DockerfileException(ast.FileName, node.Range.StartLine, node.Range.EndLine, detail, lines);
    }

    private static Instruction Parse(InstructionNode node, bool inOnbuild)
    {
        var args = node.Args;
        var kw = node.Keyword.ToUpperInvariant();
        switch (node.Name)
        {
            case "from":
                return ParseFrom(node);
            case "run":
                {
                    var flags = FlagSet.Parse(node, ["network", "security"], [], ["mount"]);
                    if (node.Arguments is NoArguments)
                    {
                        throw Err("RUN requires at least one argument: the command to run");
                    }

                    var network = flags.String("network");
                    if (network is not null && network is not ("default" or "none" or "host"))
                    {
                        throw Err($"unsupported --network={network}: use default, none or host");
                    }

                    var security = flags.String("security");
                    if (security is not null && security is not ("sandbox" or "insecure"))
                    {
                        throw Err($"unsupported --security={security}: use sandbox or insecure");
                    }

                    return new RunInstruction
                    {
                        Range = node.Range,
                        Node = node,
                        Command = Command(node, true),
                        Mounts = flags.Strings("mount").Select(MountParser.Parse).ToList(),
                        Network = network,
                        Security = security,
                    };
                }

            case "cmd":
                FlagSet.Parse(node, [], [], []);
                return new CmdInstruction { Range = node.Range, Node = node, Command = Command(node, false) };
            case "entrypoint":
                FlagSet.Parse(node, [], [], []);
                return new EntrypointInstruction { Range = node.Range, Node = node, Command = Command(node, false) };
            case "env":
            case "label":
                {
                    FlagSet.Parse(node, [], [], []);
                    if (node.Arguments is not KeyValueArguments kv || kv.Pairs.Count == 0)
                    {
                        throw Err($"{kw} requires at least one argument: write {kw} name=value");
                    }

                    var pairs = new List<KeyValue>();
                    foreach (var p in kv.Pairs)
                    {
                        if (p.Key.Length == 0)
                        {
                            throw Err($"{kw} names can not be blank");
                        }

                        pairs.Add(new KeyValue(p.Key, p.Value, !p.HasEquals));
                    }

                    return node.Name == "env"
                        ? new EnvInstruction { Range = node.Range, Node = node, Pairs = pairs }
                        : new LabelInstruction { Range = node.Range, Node = node, Pairs = pairs };
                }

            case "maintainer":
                FlagSet.Parse(node, [], [], []);
                return new MaintainerInstruction { Range = node.Range, Node = node, Maintainer = ExactlyOne(node, kw) };
            case "expose":
                FlagSet.Parse(node, [], [], []);
                if (args.Count == 0)
                {
                    throw Err("EXPOSE requires at least one argument: the port, e.g. EXPOSE 8080 or EXPOSE 53/udp");
                }

                return new ExposeInstruction { Range = node.Range, Node = node, Ports = args };
            case "copy":
                {
                    var flags = FlagSet.Parse(node, ["from", "chown", "chmod"], ["link", "parents"], ["exclude"]);
                    var (sources, dest, contents) = SourcesAndDest(node, kw);
                    return new CopyInstruction
                    {
                        Range = node.Range,
                        Node = node,
                        Sources = sources,
                        Destination = dest,
                        SourceContents = contents,
                        IsJson = node.IsJson,
                        From = flags.String("from"),
                        Chown = flags.String("chown"),
                        Chmod = flags.String("chmod"),
                        Link = flags.Bool("link"),
                        Parents = flags.Bool("parents"),
                        Excludes = flags.Strings("exclude"),
                    };
                }

            case "add":
                {
                    var flags = FlagSet.Parse(node, ["chown", "chmod", "checksum"], ["link", "keep-git-dir", "parents", "unpack"], ["exclude"]);
                    var (sources, dest, contents) = SourcesAndDest(node, kw);
                    return new AddInstruction
                    {
                        Range = node.Range,
                        Node = node,
                        Sources = sources,
                        Destination = dest,
                        SourceContents = contents,
                        IsJson = node.IsJson,
                        Chown = flags.String("chown"),
                        Chmod = flags.String("chmod"),
                        Checksum = flags.String("checksum"),
                        Link = flags.Bool("link"),
                        KeepGitDir = flags.Bool("keep-git-dir"),
                        Parents = flags.Bool("parents"),
                        Unpack = flags.OptionalBool("unpack"),
                        Excludes = flags.Strings("exclude"),
                    };
                }

            case "volume":
                FlagSet.Parse(node, [], [], []);
                if (args.Count == 0)
                {
                    throw Err("VOLUME requires at least one argument: the path, e.g. VOLUME /data");
                }

                if (args.Any(a => a.Trim().Length == 0))
                {
                    throw Err("VOLUME specified can not be an empty string");
                }

                return new VolumeInstruction { Range = node.Range, Node = node, Volumes = args };
            case "user":
                FlagSet.Parse(node, [], [], []);
                return new UserInstruction { Range = node.Range, Node = node, User = ExactlyOne(node, kw) };
            case "workdir":
                FlagSet.Parse(node, [], [], []);
                return new WorkdirInstruction { Range = node.Range, Node = node, Path = ExactlyOne(node, kw) };
            case "stopsignal":
                FlagSet.Parse(node, [], [], []);
                return new StopSignalInstruction { Range = node.Range, Node = node, Signal = ExactlyOne(node, kw) };
            case "arg":
                {
                    FlagSet.Parse(node, [], [], []);
                    if (args.Count == 0)
                    {
                        throw Err("ARG requires at least one argument: write ARG NAME or ARG NAME=default");
                    }

                    var defs = new List<ArgDefinition>();
                    foreach (var a in args)
                    {
                        var eq = a.IndexOf('=', StringComparison.Ordinal);
                        var name = eq < 0 ? a : a[..eq];
                        if (name.Length == 0)
                        {
                            throw Err($"ARG names can not be blank: {a}");
                        }

                        defs.Add(new ArgDefinition(name, eq < 0 ? null : a[(eq + 1)..]));
                    }

                    return new ArgInstruction { Range = node.Range, Node = node, Args = defs };
                }

            case "onbuild":
                {
                    FlagSet.Parse(node, [], [], []);
                    if (node.Arguments is not SubInstructionArguments sub)
                    {
                        throw Err("ONBUILD requires at least one argument: the instruction to run in builds based on this image");
                    }

                    var triggerName = sub.Trigger.Name;
                    if (triggerName == "onbuild")
                    {
                        throw Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
                    }

                    if (triggerName is "from" or "maintainer")
                    {
                        throw Err($"{triggerName.ToUpperInvariant()} isn't allowed as an ONBUILD trigger");
                    }

                    var trimmed = node.Original.TrimStart();
                    var expression = trimmed.Length >= node.Keyword.Length ? trimmed[node.Keyword.Length..].Trim() : "";
                    return new OnbuildInstruction { Range = node.Range, Node = node, Expression = expression, Trigger = Parse(sub.Trigger, true) };
                }

            case "healthcheck":
                return ParseHealthcheck(node);
            case "shell":
                FlagSet.Parse(node, [], [], []);
                if (!node.IsJson)
                {
                    throw Err("SHELL requires the arguments to be in JSON form, e.g. SHELL [\"/bin/bash\", \"-c\"]");
                }

                if (args.Count == 0)
                {
                    throw Err("SHELL requires at least one argument, e.g. SHELL [\"/bin/bash\", \"-c\"]");
                }

                return new ShellInstruction { Range = node.Range, Node = node, Shell = args };
            default:
                _ = inOnbuild;
                throw Err(UnknownInstructionMessage(node.Keyword));
        }
    }

    private static string UnknownInstructionMessage(string keyword)
    {
        var lower = keyword.ToLowerInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var k in KnownInstructions)
        {
            var d = Levenshtein(lower, k);
            if (d < bestDistance)
            {
                bestDistance = d;
                best = k;
            }
        }

        var hint = best is not null && bestDistance <= 2 ? $" (did you mean {best.ToUpperInvariant()}?)" : "";
        var commentHint = keyword.StartsWith("//", StringComparison.Ordinal) ? "; `//` is not a comment in a Dockerfile: start the line with # instead" : "";
        return $"unknown instruction: {keyword}{hint}{commentHint}";
    }

    private static int Levenshtein(string a, string b)
    {
        if (a.Length > 64)
        {
            return int.MaxValue;
        }

        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (prev, cur) = (cur, prev);
        }

        return prev[b.Length];
    }

    private static FromInstruction ParseFrom(InstructionNode node)
    {
        var flags = FlagSet.Parse(node, ["platform"], [], []);
        var args = node.Args;
        string? stageName = null, asWritten = null, asKeyword = null;
        if (args.Count == 3 && args[1].Equals("as", StringComparison.OrdinalIgnoreCase))
        {
            asKeyword = args[1];
            asWritten = args[2];
            stageName = args[2].ToLowerInvariant();
            if (!IsValidStageName(stageName))
            {
                throw Err($"invalid name for build stage: \"{args[2]}\", name can't start with a number or contain symbols (use letters, digits, -, _ and .)");
            }
        }
        else if (args.Count != 1)
        {
            throw Err(FromArgsMessage(args));
        }

        return new FromInstruction
        {
            Range = node.Range,
            Node = node,
            BaseName = args[0],
            StageName = stageName,
            StageNameAsWritten = asWritten,
            AsKeyword = asKeyword,
            Platform = flags.String("platform"),
        };
    }

    private static string FromArgsMessage(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
        {
            return "FROM requires an image: write FROM image[:tag] [AS name]";
        }

        var msg = $"FROM takes one image, optionally followed by AS name, but got {args.Count} words: {string.Join(' ', args)}";
        var slash = args.Skip(1).FirstOrDefault(a => a.StartsWith("//", StringComparison.Ordinal));
        if (slash is not null)
        {
            msg += $"; `//` is not a comment in a Dockerfile (`#` is, at the start of a line): move \"{string.Join(' ', args.SkipWhile(a => a != slash))}\" to its own line starting with #";
        }
        else if (args.Count == 3)
        {
            msg += $"; to name the stage write FROM {args[0]} AS {args[2]}";
        }

        return msg;
    }

    private static bool IsValidStageName(string name)
    {
        if (name.Length == 0 || !char.IsAsciiLetterLower(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static CommandLine Command(InstructionNode node, bool allowHeredocs)
    {
        if (node.Arguments is NoArguments)
        {
            return CommandLine.Empty;
        }

        if (node.IsJson)
        {
            return new CommandLine(node.Args, false, []);
        }

        return new CommandLine(node.Args, true, allowHeredocs ? node.Heredocs : []);
    }

    private static string ExactlyOne(InstructionNode node, string kw)
    {
        var args = node.Args;
        if (args.Count != 1 || args[0].Length == 0)
        {
            throw Err($"{kw} requires exactly one argument");
        }

        return args[0];
    }

    private static (IReadOnlyList<string> Sources, string Dest, IReadOnlyList<Heredoc> Contents) SourcesAndDest(InstructionNode node, string kw)
    {
        var args = node.Args;
        if (args.Count < 2)
        {
            throw Err($"{kw} requires at least two arguments, but only {(args.Count == 0 ? "none was" : "one was")} provided. Destination could not be determined.");
        }

        var sources = new List<string>();
        var contents = new List<Heredoc>();
        var next = 0;
        for (var i = 0; i < args.Count - 1; i++)
        {
            var src = args[i];
            if (node.Heredocs.Count > next && IsHeredocWord(src))
            {
                contents.Add(node.Heredocs[next++]);
            }
            else
            {
                sources.Add(src);
            }
        }

        return (sources, args[^1], contents);
    }

    private static bool IsHeredocWord(string word)
    {
        var i = 0;
        while (i < word.Length && char.IsAsciiDigit(word[i]))
        {
            i++;
        }

        return word.AsSpan(i).StartsWith("<<", StringComparison.Ordinal) && word.Length > i + 2;
    }

    private static HealthcheckInstruction ParseHealthcheck(InstructionNode node)
    {
        var flags = FlagSet.Parse(node, ["interval", "timeout", "start-period", "start-interval", "retries"], [], []);
        if (node.Arguments is not HealthcheckArguments hc)
        {
            throw Err("HEALTHCHECK requires at least one argument: CMD command or NONE");
        }

        var type = hc.Type.ToUpperInvariant();
        IReadOnlyList<string> test;
        if (type == "NONE")
        {
            if (hc.Command is not null && hc.Command.Words.Count > 0)
            {
                throw Err("HEALTHCHECK NONE takes no arguments");
            }

            test = ["NONE"];
        }
        else if (type == "CMD")
        {
            if (hc.Command is null || hc.Command.Words.Count == 0)
            {
                throw Err("Missing command after HEALTHCHECK CMD");
            }

            test = hc.Command.IsJson ? ["CMD", .. hc.Command.Words] : ["CMD-SHELL", .. hc.Command.Words];
        }
        else
        {
            throw Err($"Unknown type \"{hc.Type}\" in HEALTHCHECK (try CMD)");
        }

        int? retries = null;
        var r = flags.String("retries");
        if (r is not null)
        {
            if (!int.TryParse(r, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            {
                throw Err($"invalid --retries={r}: expected a whole number");
            }

            if (n < 0)
            {
                throw Err($"--retries cannot be negative ({n})");
            }

            retries = n;
        }

        return new HealthcheckInstruction
        {
            Range = node.Range,
            Node = node,
            Health = new HealthcheckSpec(
                test,
                Interval(flags, "interval"),
                Interval(flags, "timeout"),
                Interval(flags, "start-period"),
                Interval(flags, "start-interval"),
                retries),
        };
    }

    private static TimeSpan? Interval(FlagSet flags, string name)
    {
        var v = flags.String(name);
        if (v is null)
        {
            return null;
        }

        if (!GoDuration.TryParse(v, out var d))
        {
            throw Err($"invalid --{name}={v}: expected a duration such as 30s, 1m30s or 500ms");
        }

        if (d == TimeSpan.Zero)
        {
            return null;
        }

        if (d < TimeSpan.FromMilliseconds(1))
        {
            throw Err($"--{name}={v} cannot be less than 1ms");
        }

        return d;
    }

    private static DockerfileException Err(string message) => new("", 0, 0, message);
}
