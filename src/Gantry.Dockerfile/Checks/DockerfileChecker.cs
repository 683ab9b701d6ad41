// Owns: BuildKit's Dockerfile build checks (lint rules) over the syntax tree and typed instructions.
using System.Text.RegularExpressions;
using Gantry.Dockerfile.Instructions;
using Gantry.Dockerfile.Shell;
using Gantry.Dockerfile.Syntax;

namespace Gantry.Dockerfile.Checks;

/// <summary>
/// Runs the build checks: every instruction that does not parse is an error (all are reported, not just the first),
/// plus BuildKit's rules as warnings. Honours <c># check=skip=Rule1,Rule2</c>, <c># check=skip=all</c> and
/// <c># check=error=true</c>. A file that cannot be parsed at all throws <see cref="DockerfileException"/>.
/// </summary>
public static partial class DockerfileChecker
{
    private static readonly HashSet<string> BuiltinArgs = new(StringComparer.Ordinal)
    {
        "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
        "TARGETSTAGE", "BUILDKIT_SYNTAX", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
        "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    };

    // Variables every base image (or the runtime) usually provides; not worth an UndefinedVar warning.
    private static readonly HashSet<string> CommonEnv = new(StringComparer.Ordinal) { "PATH", "HOME", "HOSTNAME", "TERM", "PWD", "USER", "SHELL" };

    public static IReadOnlyList<CheckFinding> Check(string text, string fileName = "Dockerfile") =>
        Check(DockerfileParser.Parse(text, fileName));

    public static IReadOnlyList<CheckFinding> Check(DockerfileAst ast)
    {
        ArgumentNullException.ThrowIfNull(ast);
        var findings = new List<CheckFinding>();
        var (skip, skipAll, warningsAreErrors) = ReadCheckDirective(ast.Directive("check"));

        void Warn(string rule, SourceRange range, string message)
        {
            if (!skipAll && !skip.Contains(rule))
            {
                findings.Add(new CheckFinding(rule, warningsAreErrors ? CheckSeverity.Error : CheckSeverity.Warning, range, message));
            }
        }

        foreach (var w in ast.Warnings)
        {
            Warn("NoEmptyContinuation", w.Range, "Empty continuation lines will become errors in a future release");
        }

        // Typed parse of every instruction, collecting all errors.
        var instructions = new List<Instruction>();
        foreach (var node in ast.Instructions)
        {
            try
            {
                instructions.Add(InstructionParser.ParseInstruction(ast, node));
            }
            catch (DockerfileException ex)
            {
                findings.Add(new CheckFinding("Syntax", CheckSeverity.Error, node.Range, ex.Detail));
            }
        }

        CasingRule(ast, Warn);
        StageRules(ast, instructions, findings, Warn);
        return findings.OrderBy(f => f.Range.StartLine).ToList();
    }

    private static (HashSet<string> Skip, bool SkipAll, bool Error) ReadCheckDirective(string? value)
    {
        var skip = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var skipAll = false;
        var error = false;
        if (value is null)
        {
            return (skip, skipAll, error);
        }

        foreach (var part in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var k = eq < 0 ? part : part[..eq].Trim();
            var v = eq < 0 ? "" : part[(eq + 1)..].Trim();
            if (k.Equals("skip", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var r in v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (r.Equals("all", StringComparison.OrdinalIgnoreCase))
                    {
                        skipAll = true;
                    }

                    skip.Add(r);
                }
            }
            else if (k.Equals("error", StringComparison.OrdinalIgnoreCase))
            {
                error = v.Equals("true", StringComparison.OrdinalIgnoreCase);
            }
        }

        return (skip, skipAll, error);
    }

    private static void CasingRule(DockerfileAst ast, Action<string, SourceRange, string> warn)
    {
        int upper = 0, lower = 0;
        foreach (var n in ast.Instructions)
        {
            if (n.Keyword == n.Keyword.ToUpperInvariant())
            {
                upper++;
            }
            else if (n.Keyword == n.Keyword.ToLowerInvariant())
            {
                lower++;
            }
        }

        var majorityUpper = upper >= lower;
        foreach (var n in AllNodes(ast))
        {
            var ok = majorityUpper ? n.Keyword == n.Keyword.ToUpperInvariant() : n.Keyword == n.Keyword.ToLowerInvariant();
            if (!ok)
            {
                warn("ConsistentInstructionCasing", n.Range, $"Command '{n.Keyword}' should match the case of the command majority ({(majorityUpper ? "uppercase" : "lowercase")})");
            }
        }
    }

    private static IEnumerable<InstructionNode> AllNodes(DockerfileAst ast)
    {
        foreach (var n in ast.Instructions)
        {
            yield return n;
            if (n.Arguments is SubInstructionArguments sub)
            {
                yield return sub.Trigger with { Range = n.Range };
            }
        }
    }

    private static void StageRules(DockerfileAst ast, List<Instruction> instructions, List<CheckFinding> findings, Action<string, SourceRange, string> warn)
    {
        var metaArgs = new Dictionary<string, string>(StringComparer.Ordinal);
        var stageNames = new Dictionary<string, int>(StringComparer.Ordinal);
        var expander = new ShellWordExpander(ast.EscapeToken) { SkipUnsetEnv = true };
        Dictionary<string, string>? env = null;
        var counts = new Dictionary<string, Instruction>(StringComparer.Ordinal);
        var multiples = new List<Instruction>();
        var hasAbsoluteWorkdir = false;
        var shellChanged = false;
        var inStage = false;

        void EndStage()
        {
            foreach (var m in multiples)
            {
                warn("MultipleInstructionsDisallowed", m.Range, $"Multiple {m.Name} instructions should not be used in the same stage because only the last one will be used");
            }

            multiples.Clear();
            counts.Clear();
        }

        foreach (var instruction in instructions)
        {
            if (instruction is FromInstruction from)
            {
                if (inStage)
                {
                    EndStage();
                }

                inStage = true;
                env = new Dictionary<string, string>(StringComparer.Ordinal);
                hasAbsoluteWorkdir = false;
                shellChanged = false;
                FromRules(from, metaArgs, stageNames, expander, findings, warn);
                continue;
            }

            if (!inStage)
            {
                if (instruction is ArgInstruction meta)
                {
                    ArgRules(meta, warn);
                    foreach (var a in meta.Args)
                    {
                        metaArgs[a.Name] = a.Default is null ? "" : SafeExpand(expander, a.Default, metaArgs).Value;
                    }
                }

                continue;
            }

            var stageEnv = env!;
            if (instruction.ExpandsVariables && instruction is not RunInstruction)
            {
                UndefinedVars(instruction, expander, stageEnv, findings, warn);
            }

            switch (instruction)
            {
                case CmdInstruction or EntrypointInstruction or HealthcheckInstruction:
                    if (counts.TryGetValue(instruction.Name, out var previous))
                    {
                        multiples.Add(previous);
                    }

                    counts[instruction.Name] = instruction;
                    if (!shellChanged && instruction is CmdInstruction { Command.PrependShell: true } or EntrypointInstruction { Command.PrependShell: true })
                    {
                        warn("JSONArgsRecommended", instruction.Range, $"JSON arguments recommended for {instruction.Name} to prevent unintended behavior related to OS signals");
                    }

                    break;
                case ShellInstruction:
                    shellChanged = true;
                    break;
                case EnvInstruction envI:
                    foreach (var p in envI.Pairs)
                    {
                        if (p.Legacy)
                        {
                            warn("LegacyKeyValueFormat", instruction.Range, $"\"ENV key=value\" should be used instead of legacy \"ENV key value\" format");
                        }

                        SecretRule("ENV", p.Key, instruction.Range, warn);
                        stageEnv[SafeExpand(expander, p.Key, stageEnv).Value] = SafeExpand(expander, p.Value, stageEnv).Value;
                    }

                    break;
                case LabelInstruction label:
                    if (label.Pairs.Any(p => p.Legacy))
                    {
                        warn("LegacyKeyValueFormat", instruction.Range, "\"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format");
                    }

                    break;
                case ArgInstruction arg:
                    ArgRules(arg, warn);
                    foreach (var a in arg.Args)
                    {
                        stageEnv[a.Name] = a.Default is null
                            ? (metaArgs.TryGetValue(a.Name, out var m) ? m : "")
                            : SafeExpand(expander, a.Default, stageEnv).Value;
                    }

                    break;
                case MaintainerInstruction:
                    warn("MaintainerDeprecated", instruction.Range, "Maintainer instruction is deprecated in favor of using label");
                    break;
                case WorkdirInstruction wd:
                    {
                        var path = SafeExpand(expander, wd.Path, stageEnv).Value;
                        if (path.StartsWith('/') || path.StartsWith('$'))
                        {
                            hasAbsoluteWorkdir = true;
                        }
                        else if (!hasAbsoluteWorkdir)
                        {
                            warn("WorkdirRelativePath", instruction.Range, $"Relative workdir \"{wd.Path}\" can have unexpected results if the base image changes");
                        }

                        break;
                    }

                case ExposeInstruction expose:
                    foreach (var port in expose.Ports)
                    {
                        if (port.Contains(':', StringComparison.Ordinal))
                        {
                            warn("ExposeInvalidFormat", instruction.Range, $"EXPOSE instruction should not define an IP address or host-port mapping, found '{port}'");
                        }

                        var slash = port.IndexOf('/', StringComparison.Ordinal);
                        if (slash >= 0 && port[(slash + 1)..] != port[(slash + 1)..].ToLowerInvariant())
                        {
                            warn("ExposeProtoCasing", instruction.Range, $"Defined protocol '{port[(slash + 1)..]}' in EXPOSE instruction should be lowercase");
                        }
                    }

                    break;
            }
        }

        if (inStage)
        {
            EndStage();
        }
    }

    private static void FromRules(FromInstruction from, Dictionary<string, string> metaArgs, Dictionary<string, int> stageNames, ShellWordExpander expander, List<CheckFinding> findings, Action<string, SourceRange, string> warn)
    {
        var kw = from.Node.Keyword;
        if (from.AsKeyword is { } asKw)
        {
            var fromUpper = kw == kw.ToUpperInvariant();
            var asUpper = asKw == asKw.ToUpperInvariant();
            var fromLower = kw == kw.ToLowerInvariant();
            var asLower = asKw == asKw.ToLowerInvariant();
            if ((fromUpper && !asUpper) || (fromLower && !asLower))
            {
                warn("FromAsCasing", from.Range, $"'{asKw}' and '{kw}' keywords' casing do not match");
            }
        }

        if (from.StageNameAsWritten is { } written && written != written.ToLowerInvariant())
        {
            warn("StageNameCasing", from.Range, $"Stage name '{written}' should be lowercase");
        }

        if (from.StageName is { } name)
        {
            if (name is "scratch" or "context")
            {
                warn("ReservedStageName", from.Range, $"'{name}' is reserved and should not be used as a stage name");
            }

            if (stageNames.TryGetValue(name, out var firstLine))
            {
                findings.Add(new CheckFinding("DuplicateStageName", CheckSeverity.Error, from.Range, $"Duplicate stage name '{name}', stage names should be unique (first used at line {firstLine})"));
            }
            else
            {
                stageNames[name] = from.Range.StartLine;
            }
        }

        foreach (var word in new[] { from.BaseName, from.Platform })
        {
            if (word is null)
            {
                continue;
            }

            var result = SafeExpand(expander, word, metaArgs);
            foreach (var v in result.Unmatched)
            {
                if (!BuiltinArgs.Contains(v) && !stageNames.ContainsKey(v))
                {
                    warn("UndefinedArgInFrom", from.Range, $"FROM argument '{v}' is not declared");
                }
            }
        }

        if (from.Platform is { } platform)
        {
            if (!platform.Contains('$', StringComparison.Ordinal))
            {
                warn("FromPlatformFlagConstDisallowed", from.Range, $"FROM --platform flag should not use constant value \"{platform}\"");
            }
            else if (platform is "$TARGETPLATFORM" or "${TARGETPLATFORM}")
            {
                warn("RedundantTargetPlatform", from.Range, "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior");
            }
        }

        if (from.BaseName.Contains('$', StringComparison.Ordinal))
        {
            var strict = new ShellWordExpander(expander.EscapeToken);
            try
            {
                var value = strict.ProcessWord(from.BaseName, metaArgs);
                if (value.Length == 0)
                {
                    warn("InvalidDefaultArgInFrom", from.Range, $"Default value for ARG {from.BaseName} results in empty or invalid base image name");
                }
            }
            catch (DockerfileException)
            {
                // Reported by UndefinedArgInFrom or as an expansion error at build time.
            }
        }
    }

    private static void ArgRules(ArgInstruction arg, Action<string, SourceRange, string> warn)
    {
        foreach (var a in arg.Args)
        {
            SecretRule("ARG", a.Name, arg.Range, warn);
        }
    }

    private static void SecretRule(string kind, string name, SourceRange range, Action<string, SourceRange, string> warn)
    {
        if (SecretName().IsMatch(name) && !PublicName().IsMatch(name))
        {
            warn("SecretsUsedInArgOrEnv", range, $"Do not use ARG or ENV instructions for sensitive data ({kind} \"{name}\")");
        }
    }

    private static void UndefinedVars(Instruction instruction, ShellWordExpander expander, Dictionary<string, string> env, List<CheckFinding> findings, Action<string, SourceRange, string> warn)
    {
        var recorder = new RecordingExpander(expander, env);
        try
        {
            instruction.Expand(recorder);
        }
        catch (DockerfileException ex)
        {
            findings.Add(new CheckFinding("Syntax", CheckSeverity.Error, instruction.Range, ex.Detail));
            return;
        }

        foreach (var v in recorder.Unmatched)
        {
            if (!CommonEnv.Contains(v) && !BuiltinArgs.Contains(v))
            {
                var suggestion = env.Keys.Concat(CommonEnv).FirstOrDefault(k => string.Equals(k, v, StringComparison.OrdinalIgnoreCase) || Close(k, v));
                warn("UndefinedVar", instruction.Range, $"Usage of undefined variable '${v}'{(suggestion is null ? "" : $" (did you mean ${suggestion}?)")}");
            }
        }
    }

    private static bool Close(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 1 || a.Length < 3)
        {
            return false;
        }

        var diff = 0;
        var sa = string.Concat(a.Order());
        var sb = string.Concat(b.Order());
        return sa == sb || (a.Length == b.Length && a.Zip(b).Count(p => p.First != p.Second) <= 1 && ++diff > 0);
    }

    private static ExpansionResult SafeExpand(ShellWordExpander expander, string word, IReadOnlyDictionary<string, string> env)
    {
        try
        {
            return expander.ProcessWordWithMatches(word, env);
        }
        catch (DockerfileException)
        {
            return new ExpansionResult(word, new HashSet<string>(), new HashSet<string>());
        }
    }

    [GeneratedRegex("(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pass|pword|passwd|secret|token)(?:_|$)")]
    private static partial Regex SecretName();

    [GeneratedRegex("(?i)(?:_|^)public(?:_|$)")]
    private static partial Regex PublicName();

    private sealed class RecordingExpander(ShellWordExpander expander, IReadOnlyDictionary<string, string> env) : IWordExpander
    {
        public HashSet<string> Unmatched { get; } = new(StringComparer.Ordinal);

        public string ExpandWord(string word)
        {
            var r = expander.ProcessWordWithMatches(word, env);
            Unmatched.UnionWith(r.Unmatched);
            return r.Value;
        }

        public IReadOnlyList<string> ExpandWords(string words)
        {
            var r = expander.ProcessWordWithMatches(words, env);
            Unmatched.UnionWith(r.Unmatched);
            return expander.ProcessWords(words, env);
        }
    }
}
