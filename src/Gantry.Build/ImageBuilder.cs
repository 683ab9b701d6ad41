// Owns: one `gantry build` end to end: read the Dockerfile and context, build the needed stages concurrently, store and tag the image.
using Gantry.Build.Cache;
using Gantry.Build.Context;
using Gantry.Build.Dispatch;
using Gantry.Build.Steps;
using Gantry.Content;
using Gantry.Dockerfile;
using Gantry.Dockerfile.Ignore;
using Gantry.Dockerfile.Instructions;
using Gantry.Dockerfile.Shell;
using Gantry.Oci;
using Gantry.Reference;
using Gantry.Snapshots;

namespace Gantry.Build;

/// <summary>The builder. <c>await ImageBuilder.BuildAsync(new BuildOptions { StoreRoot = root, ContextDirectory = "." , Tags = ["app"] }, ct)</c>.</summary>
public static class ImageBuilder
{
    public static async Task<BuildResult> BuildAsync(BuildOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        Gantry.Oci.Diagnostics.PhaseTrace.Mark("build: start");
        var names = options.Tags.Select(ParseTag).ToList();
        var root = options.StoreRoot;
        var buildDir = Path.Combine(root, "build");
        var tempDir = Path.Combine(root, "tmp", "build-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(buildDir);
        Directory.CreateDirectory(tempDir);
        var store = ImageStore.Open(root);
        var hashes = ContextHashCache.InMemory();
        BuildContext? context = null;
        BuildSession? session = null;
        Task? savingHashes = null;
        try
        {
            using var lease = await store.AcquireLeaseAsync(cancellationToken).ConfigureAwait(false);
            context = options.ContextDirectory is not null
                ? BuildContext.FromDirectory(options.ContextDirectory)
                : await BuildContext.FromTarAsync(options.ContextTar ?? throw new GantryException("no build context: give a directory or '-' with a tar on stdin"), tempDir, cancellationToken).ConfigureAwait(false);

            // A context directory's file hashes are kept for its next build; a tar context is a fresh temp dir each time.
            if (options.ContextDirectory is not null)
            {
                hashes = ContextHashCache.Load(buildDir, context.Root);
            }

            Gantry.Oci.Diagnostics.PhaseTrace.Mark("build: context hashes loaded");
            var (dockerfileText, dockerfileName, dockerfilePath) = ReadDockerfile(options, context);
            DockerfileModel model;
            DockerIgnore ignore;
            try
            {
                model = DockerfileModel.Parse(dockerfileText, dockerfileName);
                ignore = await DockerIgnore.LoadAsync(context.Root, dockerfilePath, cancellationToken).ConfigureAwait(false);
            }
            catch (DockerfileException ex)
            {
                throw new GantryException(ex.ToDisplayString(), ex);
            }

            var filtered = context.WithExclusions(ignore.IsExcludedUnderIncludedParent, skipExcludedDirs: !ignore.HasExceptions);
            var plan = StagePlan.From(model, dockerfileName);
            var target = ResolveTarget(plan, options.Target);
            var platform = options.Platform ?? Platform.Current;
            var buildArgs = ResolveBuildArgs(options.BuildArgs);
            var platformArgs = ArgScope.PlatformArgs(platform, Platform.Current);
            var expander = new ShellWordExpander(model.EscapeToken);
            var globalArgs = ResolveGlobalArgs(plan, buildArgs, platformArgs, expander);
            var needed = NeededStages(plan, target);
            var steps = NumberSteps(plan, needed);
            var layerOptions = new LayerWriteOptions
            {
                Compression = options.Compression,
                SourceDateEpoch = options.SourceDateEpoch ?? LayerWriteOptions.FromEnvironment(),

                // A COPY or RUN layer that differs from an earlier one in a few files compresses only the chunks around them.
                MemberCache = new Snapshots.IO.GzipMemberCache(Path.Combine(buildDir, "gzip-members"), store.Blobs.BlobPath),
            };

            session = new BuildSession
            {
                Options = options,
                Store = store,
                Cache = new BuildCacheIndex(buildDir),
                Hashes = hashes,
                Context = filtered,
                Rootfs = new LayerDirStore(store, root, buildDir),
                Plan = plan,
                Expander = expander,
                TargetPlatform = platform,
                BuildArgs = buildArgs,
                PlatformArgs = platformArgs,
                GlobalArgs = globalArgs,
                TempDir = tempDir,
                BuildDir = buildDir,
                LayerOptions = layerOptions,
                Steps = steps,
            };

            using var snapshotHold = await session.Rootfs.Snapshots.HoldAsync(cancellationToken).ConfigureAwait(false);
            using var stageCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            foreach (var stage in plan.Stages)
            {
                var s = stage;
                session.StageTasks[s.Index] = new Lazy<Task<StageResult>>(
                    () => Task.Run(() => new StageBuilder(session, s).BuildAsync(stageCancel.Token), stageCancel.Token),
                    LazyThreadSafetyMode.ExecutionAndPublication);
            }

            // Start every stage the target needs at once: independent stages build concurrently.
            var started = needed.Select(i => session.StageTasks[i].Value).ToList();
            StageResult result;
            try
            {
                result = await session.GetStageAsync(target.Index).ConfigureAwait(false);
                await Task.WhenAll(started).ConfigureAwait(false);
            }
            catch
            {
                await stageCancel.CancelAsync().ConfigureAwait(false);
                try
                {
                    await Task.WhenAll(started).ConfigureAwait(false);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    // the first failure is the one reported
                }

                throw;
            }

            Gantry.Oci.Diagnostics.PhaseTrace.Mark("build: stages done");

            // Every context hash is known now: the cache file is written while the image is stored.
            savingHashes = Task.Run(() => hashes.SaveAsync(CancellationToken.None), CancellationToken.None);
            var image = result.Image;
            foreach (var (k, v) in options.Labels)
            {
                image.Labels[k] = v;
            }

            var created = image.History.Count > 0 && image.History[^1].Created is { } c ? c : layerOptions.SourceDateEpoch ?? DateTimeOffset.UtcNow;
            var config = image.ToConfig(created);
            var stored = await store.CreateImageAsync(config, image.Layers, names, cancellationToken).ConfigureAwait(false);
            await session.WaitForBackgroundAsync().ConfigureAwait(false);
            Gantry.Oci.Diagnostics.PhaseTrace.Mark("build: image stored");
            foreach (var name in names)
            {
                options.Progress.Message($"naming to {name}");
            }

            options.Progress.Message($"writing image {stored.Id}");
            return new BuildResult
            {
                ImageId = stored.Id,
                Manifest = stored.ManifestDescriptor,
                Tags = names.Select(n => n.ToString()).ToList(),
                CachedSteps = session.CachedSteps,
                ExecutedSteps = session.ExecutedSteps,
            };
        }
        finally
        {
            if (session is not null)
            {
                try
                {
                    await session.WaitForBackgroundAsync().ConfigureAwait(false);
                }
                catch (Exception) when (savingHashes is null)
                {
                    // the build already failed; that failure is the one reported
                }
            }

            try
            {
                await (savingHashes ?? hashes.SaveAsync(CancellationToken.None)).ConfigureAwait(false);
            }
            catch (IOException)
            {
            }

            context?.Dispose();
            Native.Dirs.RemoveAll(tempDir);
            Gantry.Oci.Diagnostics.PhaseTrace.Mark("build: hashes saved, temp removed");
        }
    }

    private static ImageReference ParseTag(string tag)
    {
        try
        {
            return ImageReference.ParseWithDefaultTag(tag);
        }
        catch (GantryException ex)
        {
            throw new GantryException($"invalid tag '{tag}': {ex.Message}", ex);
        }
    }

    private static (string Text, string Name, string? Path) ReadDockerfile(BuildOptions options, BuildContext context)
    {
        if (options.DockerfileText is not null)
        {
            return (options.DockerfileText, "Dockerfile", null);
        }

        var path = options.DockerfilePath is { Length: > 0 } p
            ? (Path.IsPathRooted(p) || options.ContextDirectory is null ? Path.GetFullPath(p) : Path.GetFullPath(p))
            : Path.Combine(context.Root, "Dockerfile");
        if (options.DockerfilePath is null && !File.Exists(path) && File.Exists(Path.Combine(context.Root, "dockerfile")))
        {
            path = Path.Combine(context.Root, "dockerfile");
        }

        if (!File.Exists(path))
        {
            throw new GantryException($"cannot find a Dockerfile at '{path}': create one or pass -f PATH");
        }

        return (File.ReadAllText(path), Path.GetFileName(path), path);
    }

    private static StageDefinition ResolveTarget(StagePlan plan, string? target)
    {
        if (string.IsNullOrEmpty(target))
        {
            return plan.Stages[^1];
        }

        return plan.Stages.FirstOrDefault(s => string.Equals(s.Name, target, StringComparison.OrdinalIgnoreCase))
            ?? throw new GantryException($"target stage '{target}' could not be found; the Dockerfile names: {string.Join(", ", plan.Stages.Where(s => s.Name is not null).Select(s => s.Name))}");
    }

    private static Dictionary<string, string?> ResolveBuildArgs(IReadOnlyDictionary<string, string?> given)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (k, v) in given)
        {
            result[k] = v ?? Environment.GetEnvironmentVariable(k);
        }

        return result;
    }

    private static Dictionary<string, string> ResolveGlobalArgs(StagePlan plan, IReadOnlyDictionary<string, string?> buildArgs, IReadOnlyDictionary<string, string> platformArgs, ShellWordExpander expander)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arg in plan.GlobalArgs)
        {
            foreach (var def in arg.Args)
            {
                var env = new Dictionary<string, string>(platformArgs, StringComparer.Ordinal);
                foreach (var (k, v) in values)
                {
                    env[k] = v;
                }

                string? value;
                try
                {
                    value = buildArgs.TryGetValue(def.Name, out var given) && given is not null
                        ? given
                        : def.Default is null ? (platformArgs.TryGetValue(def.Name, out var auto) ? auto : null) : expander.ProcessWord(def.Default, env);
                }
                catch (DockerfileException ex)
                {
                    throw new GantryException($"{plan.FileName}:{arg.Range.StartLine}: {ex.Detail}", ex);
                }

                if (value is not null)
                {
                    values[def.Name] = value;
                }
            }
        }

        return values;
    }

    /// <summary>The target and every stage it reaches through FROM stage / COPY --from / RUN --mount from (by name or index).</summary>
    private static SortedSet<int> NeededStages(StagePlan plan, StageDefinition target)
    {
        var needed = new SortedSet<int>();
        var queue = new Queue<StageDefinition>([target]);
        while (queue.Count > 0)
        {
            var stage = queue.Dequeue();
            if (!needed.Add(stage.Index))
            {
                continue;
            }

            var refs = new List<string> { stage.BaseName };
            foreach (var instruction in stage.Body)
            {
                switch (instruction)
                {
                    case CopyInstruction { From: { } from }:
                        refs.Add(from);
                        break;
                    case RunInstruction run:
                        refs.AddRange(run.Mounts.Where(m => m.From is not null).Select(m => m.From!));
                        break;
                }
            }

            foreach (var r in refs)
            {
                if (plan.Find(r, stage.Index) is { } dep)
                {
                    queue.Enqueue(dep);
                }
            }
        }

        return needed;
    }

    private static Dictionary<(int Stage, int Instruction), BuildStepInfo> NumberSteps(StagePlan plan, SortedSet<int> needed)
    {
        var steps = new Dictionary<(int, int), BuildStepInfo>();
        var number = 1;
        var multi = needed.Count > 1;
        foreach (var index in needed)
        {
            var stage = plan.Stages[index];
            var shown = stage.Body.Select((ins, i) => (ins, i)).Where(x => x.ins is WorkdirInstruction or RunInstruction or CopyInstruction or AddInstruction).ToList();
            var count = shown.Count + 1;
            var label = multi ? stage.DisplayName : string.Empty;
            steps[(index, -1)] = new BuildStepInfo(number++, label, 1, count, $"FROM {stage.BaseName}");
            var k = 2;
            foreach (var (ins, i) in shown)
            {
                steps[(index, i)] = new BuildStepInfo(number++, label, k++, count, OneLine(ins.Original));
            }
        }

        return steps;
    }

    private static string OneLine(string text)
    {
        var t = text.Trim().ReplaceLineEndings(" ");
        return t.Length > 120 ? t[..117] + "..." : t;
    }
}
