// Owns: what every stage of one build shares: store, cache, context, options, step numbering and stage results.
using Gantry.Build.Cache;
using Gantry.Build.Context;
using Gantry.Build.Steps;
using Gantry.Content;
using Gantry.Dockerfile.Shell;
using Gantry.Oci;
using Gantry.Snapshots;

namespace Gantry.Build.Dispatch;

/// <summary>The shared state of one build; thread-safe where stages touch it concurrently.</summary>
public sealed class BuildSession
{
    private readonly List<Task> _background = [];
    private readonly Lock _backgroundLock = new();
    private int _cached;
    private int _executed;

    public required BuildOptions Options { get; init; }

    public required ImageStore Store { get; init; }

    public required BuildCacheIndex Cache { get; init; }

    public required ContextHashCache Hashes { get; init; }

    public required BuildContext Context { get; init; }

    public required LayerDirStore Rootfs { get; init; }

    public required StagePlan Plan { get; init; }

    public required ShellWordExpander Expander { get; init; }

    public required Platform TargetPlatform { get; init; }

    public required IReadOnlyDictionary<string, string?> BuildArgs { get; init; }

    public required IReadOnlyDictionary<string, string> PlatformArgs { get; init; }

    /// <summary>Values of the ARGs declared before the first FROM.</summary>
    public required IReadOnlyDictionary<string, string> GlobalArgs { get; init; }

    public required string TempDir { get; init; }

    public required string BuildDir { get; init; }

    public required LayerWriteOptions LayerOptions { get; init; }

    public DateTimeOffset? SourceDateEpoch => LayerOptions.SourceDateEpoch;

    public IBuildProgress Progress => Options.Progress;

    /// <summary>Step numbers (#N) per (stage index, instruction index); index -1 is the FROM.</summary>
    public required IReadOnlyDictionary<(int Stage, int Instruction), BuildStepInfo> Steps { get; init; }

    /// <summary>One task per stage that is built, started on demand (stages build concurrently).</summary>
    public Dictionary<int, Lazy<Task<StageResult>>> StageTasks { get; } = [];

    public int CachedSteps => _cached;

    public int ExecutedSteps => _executed;

    public void CountCached() => Interlocked.Increment(ref _cached);

    public void CountExecuted() => Interlocked.Increment(ref _executed);

    /// <summary>The created time for new history entries: SOURCE_DATE_EPOCH or now (whole seconds).</summary>
    public DateTimeOffset Now() => SourceDateEpoch ?? DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    public string Where(Gantry.Dockerfile.Syntax.InstructionNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return $"{Plan.FileName}:{node.Range.StartLine}: {Shorten(node.Original.Trim())}";
    }

    private static string Shorten(string s) => s.Length > 80 ? s[..77] + "..." : s;

    public Task<StageResult> GetStageAsync(int index) => StageTasks[index].Value;

    /// <summary>
    /// Runs bookkeeping that no later step reads (the COPY reuse index) on the thread pool, off the step's critical path;
    /// the build waits for all of it (<see cref="WaitForBackgroundAsync"/>) before it returns.
    /// </summary>
    public void RunInBackground(Action work)
    {
        var task = Task.Run(work);
        lock (_backgroundLock)
        {
            _background.Add(task);
        }
    }

    /// <summary>Waits for everything <see cref="RunInBackground"/> started; rethrows the first failure.</summary>
    public Task WaitForBackgroundAsync()
    {
        lock (_backgroundLock)
        {
            return Task.WhenAll(_background.ToArray());
        }
    }
}

/// <summary>A built stage: its image state and the cache key of its last filesystem step (identifies its content).</summary>
public sealed record StageResult(Config.ImageState Image, CacheKey Key, StageDefinition Stage);
