// Owns: dispatching one stage's instructions with Docker's semantics: FROM, metadata instructions, and the filesystem steps.
using System.Globalization;
using Gantry.Build.Cache;
using Gantry.Build.Config;
using Gantry.Dockerfile;
using Gantry.Dockerfile.Instructions;
using Gantry.Dockerfile.Syntax;
using Gantry.Oci;

namespace Gantry.Build.Dispatch;

/// <summary>Builds one stage: resolves its base, runs ONBUILD triggers, then every instruction in order.</summary>
internal sealed partial class StageBuilder
{
    private readonly BuildSession _s;
    private readonly StageDefinition _stage;
    private ImageState _img = new();
    private CacheKey _key;
    private ArgScope _args;
    private DateTimeOffset _lastCreated;

    public StageBuilder(BuildSession session, StageDefinition stage)
    {
        _s = session;
        _stage = stage;
        _args = new ArgScope(session.BuildArgs, session.PlatformArgs);
    }

    public async Task<StageResult> BuildAsync(CancellationToken cancellationToken)
    {
        var fromStep = _s.Steps[(_stage.Index, -1)];
        _s.Progress.StepStarted(fromStep);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<string> triggers = [];
        try
        {
            var baseName = ExpandGlobal(_stage.BaseName, _stage.From);
            if (string.Equals(baseName, "scratch", StringComparison.OrdinalIgnoreCase))
            {
                _img = new ImageState { Architecture = _s.TargetPlatform.Architecture, Os = _s.TargetPlatform.Os, Variant = _s.TargetPlatform.Variant };
                _key = CacheKey.ForBase("scratch " + _s.TargetPlatform);
                _lastCreated = _s.SourceDateEpoch ?? DateTimeOffset.UnixEpoch;
            }
            else if (_s.Plan.Find(baseName, _stage.Index) is { } parentStage)
            {
                var parent = await _s.GetStageAsync(parentStage.Index).ConfigureAwait(false);
                _img = parent.Image.Clone();
                _key = parent.Key;
                _lastCreated = _img.History.Count > 0 && _img.History[^1].Created is { } c ? c : DateTimeOffset.UnixEpoch;
            }
            else
            {
                var image = await BaseImages.ResolveAsync(_s, baseName, PlatformFor(_stage), _s.Where(_stage.From.Node), cancellationToken).ConfigureAwait(false);
                _img = ImageState.FromBase(image.Config, image.Layers);
                triggers = ImageState.BaseTriggers(image.Config);
                _key = CacheKey.ForBase(image.Id + " " + _s.TargetPlatform);
                _lastCreated = _s.SourceDateEpoch ?? image.Config.Created ?? DateTimeOffset.UnixEpoch;
            }
        }
        catch (Exception ex) when (ex is GantryException or DockerfileException)
        {
            _s.Progress.StepFailed(fromStep, ex.Message);
            throw Wrap(ex, _stage.From.Node);
        }

        _s.Progress.StepDone(fromStep, clock.Elapsed);

        // BuildKit makes sure every stage has a PATH (scratch and PATH-less bases included), so RUN and the image find programs.
        if (_img.GetEnv("PATH") is null)
        {
            _img.SetEnv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        }

        if (triggers.Count > 0)
        {
            var model = DockerfileModel.Parse("FROM scratch\n" + string.Join('\n', triggers) + "\n", "ONBUILD");
            foreach (var trigger in model.Stages[0].Instructions)
            {
                await DispatchAsync(trigger, null, cancellationToken).ConfigureAwait(false);
            }
        }

        for (var i = 0; i < _stage.Body.Count; i++)
        {
            var node = _stage.Body[i];
            _s.Steps.TryGetValue((_stage.Index, i), out var step);
            await DispatchAsync(node, step, cancellationToken).ConfigureAwait(false);
        }

        return new StageResult(_img, _key, _stage);
    }

    private Platform PlatformFor(StageDefinition stage)
    {
        if (stage.PlatformFlag is { Length: > 0 } flag)
        {
            return Platform.Parse(ExpandGlobal(flag, stage.From));
        }

        return _s.TargetPlatform;
    }

    private async Task DispatchAsync(Instruction instruction, BuildStepInfo? step, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var node = instruction.Node;
        try
        {
            switch (node.Name)
            {
                case "arg":
                    DispatchArg(node);
                    break;
                case "env":
                    DispatchEnvOrLabel(node, isLabel: false);
                    break;
                case "label":
                    DispatchEnvOrLabel(node, isLabel: true);
                    break;
                case "maintainer":
                    _img.Author = string.Join(' ', node.Args);
                    Meta($"MAINTAINER {_img.Author}");
                    break;
                case "user":
                    _img.User = Expand(Single(node));
                    Meta($"USER {_img.User}");
                    break;
                case "expose":
                    DispatchExpose(node);
                    break;
                case "volume":
                    DispatchVolume(node);
                    break;
                case "stopsignal":
                    _img.StopSignal = Expand(Single(node));
                    Meta($"STOPSIGNAL {_img.StopSignal}");
                    break;
                case "cmd":
                    _img.Cmd = CommandForm(node);
                    _img.CmdSetInStage = true;
                    Meta(HistoryText.List("CMD", _img.Cmd));
                    break;
                case "entrypoint":
                    _img.Entrypoint = CommandForm(node);
                    if (!_img.CmdSetInStage)
                    {
                        _img.Cmd = null;
                    }

                    Meta(HistoryText.List("ENTRYPOINT", _img.Entrypoint));
                    break;
                case "shell":
                    if (!node.IsJson || node.Args.Count == 0)
                    {
                        throw new GantryException($"{_s.Where(node)}: SHELL needs a JSON array, e.g. SHELL [\"/bin/bash\", \"-c\"]");
                    }

                    _img.Shell = node.Args.ToList();
                    Meta($"SHELL [{string.Join(' ', _img.Shell)}]");
                    break;
                case "healthcheck":
                    DispatchHealthcheck(node);
                    break;
                case "onbuild":
                    var trigger = node.Arguments is SubInstructionArguments sub ? sub.Trigger.Original.Trim() : string.Join(' ', node.Args);
                    _img.OnBuild.Add(trigger);
                    Meta($"ONBUILD {trigger}");
                    break;
                case "workdir":
                    await RunStepAsync(step, node, () => WorkdirAsync(node, cancellationToken), cancellationToken).ConfigureAwait(false);
                    break;
                case "run":
                    await RunStepAsync(step, node, () => RunAsync((RunInstruction)instruction, step, cancellationToken), cancellationToken).ConfigureAwait(false);
                    break;
                case "copy":
                case "add":
                    await RunStepAsync(step, node, () => CopyAsync(instruction, cancellationToken), cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new GantryException($"{_s.Where(node)}: unknown instruction '{node.Keyword}'");
            }
        }
        catch (Exception ex) when (ex is DockerfileException or (GantryException and not BuildFailedException))
        {
            throw Wrap(ex, node);
        }
    }

    /// <summary>Shows a filesystem step, runs it, and reports CACHED / DONE / ERROR.</summary>
    private async Task RunStepAsync(BuildStepInfo? step, InstructionNode node, Func<Task<bool>> body, CancellationToken cancellationToken)
    {
        _ = node;
        if (step is not null)
        {
            _s.Progress.StepStarted(step);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool cached;
        try
        {
            cached = await body().ConfigureAwait(false);
        }
        catch (Exception ex) when (step is not null && ex is not OperationCanceledException)
        {
            _s.Progress.StepFailed(step, ex.Message);
            throw;
        }
        catch (OperationCanceledException) when (step is not null)
        {
            _s.Progress.StepFailed(step, "canceled");
            throw;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (cached)
        {
            _s.CountCached();
        }
        else
        {
            _s.CountExecuted();
        }

        if (step is not null)
        {
            if (cached)
            {
                _s.Progress.StepCached(step);
            }
            else
            {
                _s.Progress.StepDone(step, clock.Elapsed);
            }
        }
    }

    private Exception Wrap(Exception ex, InstructionNode node) => ex switch
    {
        DockerfileException d when d.StartLine == 0 => new GantryException($"{_s.Where(node)}: {d.Detail}", d),
        DockerfileException d => new GantryException(d.Message, d),
        GantryException g when g.Message.StartsWith(_s.Plan.FileName + ":", StringComparison.Ordinal) => g,
        GantryException g => new GantryException($"{_s.Where(node)}: {g.Message}", g) { ExitCode = g.ExitCode },
        _ => ex,
    };

    private void Meta(string createdBy) => _img.AddHistory(createdBy, emptyLayer: true, _lastCreated);

    private string Single(InstructionNode node)
    {
        var args = node.Args;
        if (args.Count == 0 || string.IsNullOrWhiteSpace(args[0]))
        {
            throw new GantryException($"{_s.Where(node)}: {node.Keyword.ToUpperInvariant()} needs an argument");
        }

        return string.Join(' ', args);
    }

    /// <summary>The variables visible to expansion: declared ARGs, overridden by ENV.</summary>
    private Dictionary<string, string> ExpansionEnv()
    {
        var env = _args.Values();
        foreach (var (k, v) in _img.Env)
        {
            env[k] = v;
        }

        return env;
    }

    private string Expand(string word) => _s.Expander.ProcessWord(word, ExpansionEnv());

    private Dictionary<string, string> ExpansionEnvForSteps() => ExpansionEnv();

    private string ExpandGlobal(string word, Instruction node)
    {
        var env = new Dictionary<string, string>(_s.PlatformArgs, StringComparer.Ordinal);
        foreach (var (k, v) in _s.GlobalArgs)
        {
            env[k] = v;
        }

        try
        {
            return _s.Expander.ProcessWord(word, env);
        }
        catch (DockerfileException ex)
        {
            throw Wrap(ex, node.Node);
        }
    }

    private void DispatchArg(InstructionNode node)
    {
        foreach (var word in node.Args)
        {
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? word : word[..eq];
            string? defaultValue = eq < 0 ? null : Expand(word[(eq + 1)..]);
            _s.GlobalArgs.TryGetValue(name, out var globalValue);
            _args.Declare(name, defaultValue, globalValue);
        }
    }

    private void DispatchEnvOrLabel(InstructionNode node, bool isLabel)
    {
        if (node.Arguments is not KeyValueArguments kv || kv.Pairs.Count == 0)
        {
            throw new GantryException($"{_s.Where(node)}: {node.Keyword.ToUpperInvariant()} needs KEY=VALUE pairs");
        }

        var parts = new List<string>();
        foreach (var pair in kv.Pairs)
        {
            var env = ExpansionEnv();
            var key = _s.Expander.ProcessWord(pair.Key, env);
            var value = _s.Expander.ProcessWord(pair.Value, env);
            if (isLabel)
            {
                _img.Labels[key] = value;
            }
            else
            {
                _img.SetEnv(key, value);
            }

            parts.Add($"{key}={value}");
        }

        Meta($"{(isLabel ? "LABEL" : "ENV")} {string.Join(' ', parts)}");
    }

    private void DispatchExpose(InstructionNode node)
    {
        foreach (var raw in node.Args)
        {
            foreach (var word in _s.Expander.ProcessWords(raw, ExpansionEnv()))
            {
                var slash = word.IndexOf('/', StringComparison.Ordinal);
                var port = slash < 0 ? word : word[..slash];
                var proto = slash < 0 ? "tcp" : word[(slash + 1)..].ToLowerInvariant();
                var range = port.Split('-');
                if (range.Length is < 1 or > 2 || !range.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 65536) || proto is not ("tcp" or "udp" or "sctp"))
                {
                    throw new GantryException($"{_s.Where(node)}: '{word}' is not a port: write e.g. EXPOSE 8080 or EXPOSE 53/udp");
                }

                if (range.Length == 2)
                {
                    var lo = int.Parse(range[0], CultureInfo.InvariantCulture);
                    var hi = int.Parse(range[1], CultureInfo.InvariantCulture);
                    for (var p = lo; p <= hi; p++)
                    {
                        _img.ExposedPorts[string.Create(CultureInfo.InvariantCulture, $"{p}/{proto}")] = EmptyObject.Instance;
                    }
                }
                else
                {
                    _img.ExposedPorts[$"{port}/{proto}"] = EmptyObject.Instance;
                }
            }
        }

        Meta(HistoryText.GoSet("EXPOSE", _img.ExposedPorts.Keys));
    }

    private void DispatchVolume(InstructionNode node)
    {
        var added = new List<string>();
        foreach (var raw in node.Args)
        {
            var value = Expand(raw).Trim();
            if (value.Length == 0)
            {
                throw new GantryException($"{_s.Where(node)}: VOLUME needs a path, e.g. VOLUME /data");
            }

            _img.Volumes[value] = EmptyObject.Instance;
            added.Add(value);
        }

        Meta($"VOLUME [{string.Join(' ', added)}]");
    }

    private IReadOnlyList<string> CommandForm(InstructionNode node)
    {
        if (node.IsJson)
        {
            return node.Args.ToList();
        }

        var args = node.Args;
        if (args.Count == 0)
        {
            return [];
        }

        return [.. _img.EffectiveShell, args[0]];
    }

    private void DispatchHealthcheck(InstructionNode node)
    {
        if (node.Arguments is not HealthcheckArguments h)
        {
            throw new GantryException($"{_s.Where(node)}: HEALTHCHECK needs NONE or CMD followed by a command");
        }

        if (string.Equals(h.Type, "NONE", StringComparison.OrdinalIgnoreCase))
        {
            _img.Healthcheck = new HealthcheckConfig { Test = ["NONE"] };
            Meta("HEALTHCHECK NONE");
            return;
        }

        if (!string.Equals(h.Type, "CMD", StringComparison.OrdinalIgnoreCase) || h.Command is null || h.Command.Words.Count == 0)
        {
            throw new GantryException($"{_s.Where(node)}: HEALTHCHECK needs NONE or CMD followed by a command");
        }

        IReadOnlyList<string> test = h.Command.IsJson ? ["CMD", .. h.Command.Words] : ["CMD-SHELL", h.Command.Words[0]];
        long interval = 0, timeout = 0, start = 0, startInterval = 0;
        var retries = 0;
        foreach (var flag in node.Flags)
        {
            var (name, value) = SplitFlag(flag);
            switch (name)
            {
                case "interval": interval = ParseDuration(value, node); break;
                case "timeout": timeout = ParseDuration(value, node); break;
                case "start-period": start = ParseDuration(value, node); break;
                case "start-interval": startInterval = ParseDuration(value, node); break;
                case "retries":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out retries))
                    {
                        throw new GantryException($"{_s.Where(node)}: --retries must be a whole number");
                    }

                    break;
                default:
                    throw new GantryException($"{_s.Where(node)}: unknown flag --{name} for HEALTHCHECK");
            }
        }

        _img.Healthcheck = new HealthcheckConfig { Test = test, Interval = interval, Timeout = timeout, StartPeriod = start, StartInterval = startInterval, Retries = retries };
        Meta($"HEALTHCHECK {HistoryText.GoQuoteList(test)}");
    }

    private long ParseDuration(string value, InstructionNode node)
    {
        // Go durations: 30s, 1m30s, 500ms, 1h, 0.5s
        long total = 0;
        var i = 0;
        if (value.Length == 0)
        {
            throw new GantryException($"{_s.Where(node)}: empty duration; write e.g. 30s");
        }

        while (i < value.Length)
        {
            var start = i;
            while (i < value.Length && (char.IsAsciiDigit(value[i]) || value[i] == '.'))
            {
                i++;
            }

            var unitStart = i;
            while (i < value.Length && char.IsAsciiLetter(value[i]))
            {
                i++;
            }

            if (start == unitStart || !double.TryParse(value[start..unitStart], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                throw new GantryException($"{_s.Where(node)}: '{value}' is not a duration; write e.g. 30s or 1m30s");
            }

            var unit = value[unitStart..i];
            double nanos = unit switch
            {
                "ns" => 1,
                "us" or "µs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                _ => throw new GantryException($"{_s.Where(node)}: '{value}' is not a duration; write e.g. 30s or 1m30s"),
            };
            total += (long)(number * nanos);
        }

        return total;
    }

    private static (string Name, string Value) SplitFlag(string flag)
    {
        var body = flag.StartsWith("--", StringComparison.Ordinal) ? flag[2..] : flag;
        var eq = body.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? (body, string.Empty) : (body[..eq], body[(eq + 1)..]);
    }

    /// <summary>Applies a filesystem step's result to the image and moves the cache chain forward.</summary>
    private void Apply(CacheKey key, StepCacheEntry entry, string createdBy)
    {
        var created = _s.SourceDateEpoch ?? entry.Created;
        if (entry.Layer is not null && entry.DiffId is not null)
        {
            _img.AddLayer(entry.Layer, Digest.Parse(entry.DiffId), createdBy, created);
        }
        else
        {
            _img.AddHistory(createdBy, emptyLayer: true, created);
        }

        _key = key;
        _lastCreated = created;
    }

    private async Task<StepCacheEntry?> LookupAsync(CacheKey key, CancellationToken cancellationToken) =>
        _s.Options.NoCache ? null : await _s.Cache.TryGetAsync(key, _s.Store.Blobs, cancellationToken).ConfigureAwait(false);
}
