// Owns: the filesystem steps of a stage: WORKDIR (creating the directory), RUN (a real container over overlayfs), COPY/ADD.
using System.Globalization;
using System.Text.Json;
using Gantry.Build.Cache;
using Gantry.Build.Config;
using Gantry.Build.Context;
using Gantry.Build.Native;
using Gantry.Build.Steps;
using Gantry.Dockerfile.Instructions;
using Gantry.Dockerfile.Syntax;
using Gantry.Oci;
using Gantry.Runtime;
using Gantry.Snapshots;

namespace Gantry.Build.Dispatch;

internal sealed partial class StageBuilder
{
    private async Task<LayeredRootView> ParentViewAsync(CancellationToken cancellationToken)
    {
        var dirs = await _s.Rootfs.GetLayerDirsAsync(_img.Layers, _img.DiffIds, cancellationToken).ConfigureAwait(false);
        return new LayeredRootView(dirs.Reverse().ToList());
    }

    private async Task<bool> WorkdirAsync(InstructionNode node, CancellationToken cancellationToken)
    {
        var raw = Expand(Single(node));
        var path = CopyPlanner.JoinImage(_img.WorkingDir ?? "/", raw);
        _img.WorkingDir = path;
        var createdBy = HistoryText.Workdir(path);
        var key = CacheKey.Compute(_key, "WORKDIR", path, _img.User ?? string.Empty);
        if (await LookupAsync(key, cancellationToken).ConfigureAwait(false) is { } hit)
        {
            Apply(key, hit, createdBy);
            return true;
        }

        var view = await ParentViewAsync(cancellationToken).ConfigureAwait(false);
        StepCacheEntry entry;
        if (path == "/" || view.IsDirectory(path))
        {
            entry = new StepCacheEntry { Created = _s.Now(), CreatedBy = createdBy };
        }
        else
        {
            var (uid, gid) = ResolveOwner(_img.User, view, node, forChown: false);
            var writer = new LayerWriter(_s.LayerOptions);
            var mtime = _s.SourceDateEpoch ?? _s.Now();
            var current = string.Empty;
            foreach (var part in path.Trim('/').Split('/'))
            {
                current = current.Length == 0 ? part : current + "/" + part;
                if (view.Lookup("/" + current) is { } existing && existing.Stat.IsDirectory)
                {
                    writer.AddDirectory(current, (int)existing.Stat.Uid, (int)existing.Stat.Gid, (int)existing.Stat.Permissions, existing.Stat.Mtime);
                }
                else
                {
                    writer.AddDirectory(current, uid, gid, 0b111_101_101, mtime);
                }
            }

            var layer = await _s.Rootfs.StoreLayerAsync(_s.Store, _s.LayerOptions, unpack: true, writer.WriteAsync, cancellationToken).ConfigureAwait(false);
            entry = ToEntry(layer, createdBy);
        }

        await _s.Cache.PutAsync(key, entry, cancellationToken).ConfigureAwait(false);
        Apply(key, entry, createdBy);
        return false;
    }

    private StepCacheEntry ToEntry(LayerResult layer, string createdBy) => layer.IsEmpty
        ? new StepCacheEntry { Created = _s.Now(), CreatedBy = createdBy }
        : new StepCacheEntry { Layer = layer.ToDescriptor(), DiffId = layer.DiffId.ToString(), Created = _s.Now(), CreatedBy = createdBy };

    /// <summary>The environment a RUN sees: image ENV, then declared ARGs not shadowed by ENV, then given proxy args.</summary>
    private (List<string> Env, List<KeyValuePair<string, string>> ArgsInUse) RunEnvironment()
    {
        var env = _img.EnvList().ToList();
        var argsInUse = new List<KeyValuePair<string, string>>();
        foreach (var (k, v) in _args.Declared)
        {
            if (v is null || _img.Env.Exists(e => e.Key == k))
            {
                continue;
            }

            env.Add($"{k}={v}");
            if (!ArgScope.Predefined.Contains(k))
            {
                argsInUse.Add(new(k, v));
            }
        }

        foreach (var (k, v) in _args.PredefinedGiven())
        {
            env.Add($"{k}={v}");
        }

        return (env, argsInUse);
    }

    private async Task<bool> RunAsync(RunInstruction instruction, BuildStepInfo? step, CancellationToken cancellationToken)
    {
        var run = (RunInstruction)instruction.Expand(_s.Expander.WithEnvironment(ExpansionEnv()), _s.Plan.FileName);
        var command = run.Command;
        IReadOnlyList<string> argv;
        if (command.PrependShell)
        {
            var text = command.Args.Count > 0 ? command.Args[0] : string.Empty;
            if (command.Heredocs.Count > 0)
            {
                var trimmed = text.TrimStart();
                var first = command.Heredocs[0];
                if (trimmed.StartsWith("<<", StringComparison.Ordinal) && command.Heredocs.Count == 1 && !trimmed.Contains(' ', StringComparison.Ordinal))
                {
                    // RUN <<EOF … EOF: the body is the script.
                    text = first.ChompedContent;
                }
                else
                {
                    text = text + "\n" + string.Concat(command.Heredocs.Select(h => h.Content + h.Name + "\n"));
                }
            }

            argv = [.. _img.EffectiveShell, text];
        }
        else
        {
            argv = command.Args;
        }

        if (argv.Count == 0)
        {
            throw new GantryException($"{_s.Where(instruction.Node)}: RUN needs a command");
        }

        var (env, argsInUse) = RunEnvironment();
        var network = run.Network ?? _s.Options.Network;
        var createdBy = HistoryText.Run(argv, !command.PrependShell, argsInUse);
        var mountKey = string.Join(';', run.Mounts.Select(m => m.Raw));
        var key = CacheKey.Compute(_key, "RUN", JsonSerializer.Serialize(argv, BuildJsonContext.Default.IReadOnlyListString), string.Join('\n', env), _img.User ?? string.Empty, _img.WorkingDir ?? "/", network, mountKey);
        if (await LookupAsync(key, cancellationToken).ConfigureAwait(false) is { } hit)
        {
            Apply(key, hit, createdBy);
            return true;
        }

        Gantry.Oci.Diagnostics.PhaseTrace.Mark("run: start");
        var dirs = await _s.Rootfs.GetLayerDirsAsync(_img.Layers, _img.DiffIds, cancellationToken).ConfigureAwait(false);
        Gantry.Oci.Diagnostics.PhaseTrace.Mark("run: layer dirs");
        var work = Path.Combine(_s.TempDir, "run-" + Guid.NewGuid().ToString("N")[..12]);
        var upper = Path.Combine(work, "upper");
        var merged = Path.Combine(work, "merged");
        Directory.CreateDirectory(upper);
        Directory.CreateDirectory(Path.Combine(work, "work"));
        Directory.CreateDirectory(merged);
        var lowers = dirs.Reverse().ToList();
        if (lowers.Count == 0)
        {
            var empty = Path.Combine(work, "empty");
            Directory.CreateDirectory(empty);
            lowers.Add(empty);
        }

        var adopted = false;
        try
        {
            Mounts.MountOverlay(lowers, upper, Path.Combine(work, "work"), merged);
            int exit;
            IReadOnlyList<string> tail;
            try
            {
                var mounts = await RunMountsAsync(run, work, cancellationToken).ConfigureAwait(false);
                var workingDir = _img.WorkingDir ?? "/";
                Directory.CreateDirectory(Path.Combine(merged, workingDir.TrimStart('/')));
                var spec = new RunSpec
                {
                    RootfsPath = merged,
                    Args = argv,
                    Env = SshEnvironment(env),
                    WorkingDir = workingDir,
                    User = _img.User,
                    Network = network switch
                    {
                        "none" => NetworkMode.None,
                        _ => NetworkMode.Host,
                    },
                    Mounts = mounts,
                    Hostname = "buildkitsandbox",
                };
                var output = new LineStream(line =>
                {
                    if (step is not null)
                    {
                        _s.Progress.StepOutput(step, line);
                    }
                });
                await using (output.ConfigureAwait(false))
                {
                    Gantry.Oci.Diagnostics.PhaseTrace.Mark("run: mounted");
                    try
                    {
                        exit = await ContainerRunner.RunAsync(spec, null, output, output, cancellationToken).ConfigureAwait(false);
                    }
                    catch (GantryException ex) when (ex is not BuildFailedException)
                    {
                        throw new BuildFailedException($"{_s.Where(instruction.Node)}: {ex.Message}", ex) { RunExitCode = ex.ExitCode };
                    }

                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    tail = output.Tail;
                }
            }
            finally
            {
                await ReleaseRunMountsAsync().ConfigureAwait(false);
                Mounts.Unmount(merged);
            }

            if (exit != 0)
            {
                var shown = command.PrependShell ? string.Join(' ', argv) : HistoryText.GoQuoteList(argv);
                var outputText = tail.Count == 0 ? " It printed nothing." : " Its last output:\n" + string.Join('\n', tail.TakeLast(20).Select(l => "  " + l));
                throw new BuildFailedException($"{_s.Where(instruction.Node)}: the command '{shown}' failed with exit code {exit}.{outputText}") { RunExitCode = exit, ExitCode = 1 };
            }

            Gantry.Oci.Diagnostics.PhaseTrace.Mark("run: container done, unmounted");
            UpperDirPruner.Prune(upper, new LayeredRootView(lowers));
            var layer = await _s.Rootfs.StoreLayerAsync(_s.Store, _s.LayerOptions, unpack: false, (sink, _, ct) => OverlayDiffer.WriteLayerAsync(upper, sink, _s.LayerOptions, ct), cancellationToken).ConfigureAwait(false);
            var entry = ToEntry(layer, createdBy);
            if (!layer.IsEmpty)
            {
                await _s.Rootfs.AdoptAsync([.. _img.DiffIds, layer.DiffId], upper, cancellationToken).ConfigureAwait(false);
                adopted = true;
            }

            Gantry.Oci.Diagnostics.PhaseTrace.Mark("run: layer stored and adopted");
            await _s.Cache.PutAsync(key, entry, cancellationToken).ConfigureAwait(false);
            Apply(key, entry, createdBy);
            return false;
        }
        finally
        {
            if (!adopted || Directory.Exists(work))
            {
                Dirs.RemoveAll(work);
            }
        }
    }

    private async Task<IReadOnlyList<Gantry.Runtime.MountSpec>> RunMountsAsync(RunInstruction run, string work, CancellationToken cancellationToken)
    {
        var result = new List<Gantry.Runtime.MountSpec>();
        foreach (var m in run.Mounts)
        {
            var target = CopyPlanner.JoinImage(_img.WorkingDir ?? "/", m.Target);
            switch (m.Type)
            {
                case MountType.Tmpfs:
                    result.Add(Gantry.Runtime.MountSpec.Tmpfs(target, m.SizeLimit is { } size ? [string.Create(CultureInfo.InvariantCulture, $"size={size}")] : []));
                    break;
                case MountType.Cache:
                {
                    var id = m.Id ?? target;
                    var dir = Path.Combine(_s.BuildDir, "cache-mounts", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id)))[..24]);
                    if (!Directory.Exists(dir))
                    {
                        Directory.CreateDirectory(dir);
                        if (m.Mode is { } mode)
                        {
                            File.SetUnixFileMode(dir, (UnixFileMode)mode);
                        }
                    }

                    result.Add(Gantry.Runtime.MountSpec.Bind(dir, target, readOnly: m.ReadOnly));
                    break;
                }

                case MountType.Secret:
                {
                    var id = m.Id ?? Path.GetFileName(m.Target);
                    var secretTarget = m.Target.StartsWith('/') ? m.Target : "/run/secrets/" + (m.Target.Length > 0 ? m.Target : id);
                    if (!_s.Options.Secrets.TryGetValue(id, out var src))
                    {
                        if (m.Required)
                        {
                            throw new GantryException($"secret '{id}' is required by this RUN but was not given: pass --secret id={id},src=FILE");
                        }

                        break;
                    }

                    if (!File.Exists(src))
                    {
                        throw new GantryException($"secret '{id}' points to '{src}', which does not exist");
                    }

                    var copy = Path.Combine(work, "secret-" + result.Count.ToString(CultureInfo.InvariantCulture));
                    File.Copy(src, copy);
                    File.SetUnixFileMode(copy, (UnixFileMode)(m.Mode ?? 0b100_100_100));
                    result.Add(Gantry.Runtime.MountSpec.Bind(copy, secretTarget, readOnly: true));
                    break;
                }

                case MountType.Bind:
                {
                    string sourceRoot;
                    if (m.From is { Length: > 0 } from)
                    {
                        var view = await SourceTreeAsync(from, work, run.Node, cancellationToken).ConfigureAwait(false);
                        sourceRoot = view.Root;
                    }
                    else
                    {
                        sourceRoot = _s.Context.Root;
                    }

                    var rel = BuildContext.CleanRelative(m.Source ?? string.Empty, out var escapes);
                    if (escapes)
                    {
                        throw new GantryException($"--mount source '{m.Source}' points outside the build context");
                    }

                    // Always read-only: a writable bind of the context would let RUN change the user's files (BuildKit discards such writes).
                    result.Add(Gantry.Runtime.MountSpec.Bind(rel.Length == 0 ? sourceRoot : Path.Combine(sourceRoot, rel), target, readOnly: true));
                    break;
                }

                case MountType.Ssh:
                    if (await SshMountAsync(m, work, cancellationToken).ConfigureAwait(false) is { } ssh)
                    {
                        result.Add(ssh);
                    }

                    break;

                default:
                    throw new GantryException($"RUN --mount=type={m.Type.ToString().ToLowerInvariant()} is not supported by gantry build yet");
            }
        }

        return result;
    }

    private (int Uid, int Gid) ResolveOwner(string? spec, LayeredRootView view, InstructionNode node, bool forChown)
    {
        if (string.IsNullOrEmpty(spec))
        {
            return (0, 0);
        }

        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        var user = colon < 0 ? spec : spec[..colon];
        var group = colon < 0 ? null : spec[(colon + 1)..];
        int uid;
        var gid = -1;
        if (!int.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out uid))
        {
            var passwd = view.ReadText("/etc/passwd");
            var line = passwd?.Split('\n').Select(l => l.Split(':')).FirstOrDefault(f => f.Length >= 4 && f[0] == user);
            if (line is null)
            {
                if (!forChown)
                {
                    return (0, 0);
                }

                throw new GantryException($"{_s.Where(node)}: user '{user}' is not in the image's /etc/passwd; use a numeric id (e.g. --chown=1000:1000)");
            }

            uid = int.Parse(line[2], CultureInfo.InvariantCulture);
            gid = int.Parse(line[3], CultureInfo.InvariantCulture);
        }

        if (group is { Length: > 0 })
        {
            if (!int.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out gid))
            {
                var groups = view.ReadText("/etc/group");
                var line = groups?.Split('\n').Select(l => l.Split(':')).FirstOrDefault(f => f.Length >= 3 && f[0] == group)
                    ?? throw new GantryException($"{_s.Where(node)}: group '{group}' is not in the image's /etc/group; use a numeric id");
                gid = int.Parse(line[2], CultureInfo.InvariantCulture);
            }
        }
        else if (gid < 0)
        {
            gid = uid;
        }

        return (uid, gid);
    }
}
