// Owns: COPY and ADD: sources from the context, another stage or an image, heredocs, URLs, local archives; their cache keys.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gantry.Build.Cache;
using Gantry.Build.Config;
using Gantry.Build.Context;
using Gantry.Build.Native;
using Gantry.Build.Steps;
using Gantry.Dockerfile.Instructions;
using Gantry.Dockerfile.Syntax;
using Gantry.Oci;
using Gantry.Snapshots;

namespace Gantry.Build.Dispatch;

internal sealed partial class StageBuilder
{
    private sealed record CopyArgs(
        string Keyword,
        IReadOnlyList<string> Sources,
        string Destination,
        IReadOnlyList<Heredoc> Heredocs,
        string? From,
        string? Chown,
        string? Chmod,
        bool Parents,
        IReadOnlyList<string> Excludes,
        string? Checksum,
        bool Unpack);

    private async Task<bool> CopyAsync(Instruction instruction, CancellationToken cancellationToken)
    {
        Gantry.Oci.Diagnostics.PhaseTrace.Mark("copy: start");
        var expanded = instruction.Expand(_s.Expander.WithEnvironment(ExpansionEnv()), _s.Plan.FileName);
        var args = expanded switch
        {
            CopyInstruction c => new CopyArgs("COPY", c.Sources, c.Destination, c.SourceContents, c.From, c.Chown, c.Chmod, c.Parents, c.Excludes, null, false),
            AddInstruction a => new CopyArgs("ADD", a.Sources, a.Destination, a.SourceContents, null, a.Chown, a.Chmod, a.Parents, a.Excludes, a.Checksum, a.Unpack ?? true),
            _ => throw new InvalidOperationException("not a COPY/ADD"),
        };
        var node = instruction.Node;
        var where = _s.Where(node);
        var createdBy = HistoryText.Copy(args.Keyword, StripKeyword(node.Original));
        int? mode = null;
        if (args.Chmod is { Length: > 0 } chmod)
        {
            try
            {
                mode = Convert.ToInt32(chmod, 8);
            }
            catch (FormatException)
            {
                throw new GantryException($"{where}: --chmod={chmod} is not an octal mode; write e.g. --chmod=755");
            }
        }

        var clamp = _s.SourceDateEpoch;
        var request = new CopyRequest
        {
            Sources = args.Sources,
            Destination = args.Destination,
            WorkingDir = _img.WorkingDir ?? "/",
            Parents = args.Parents,
            Excludes = args.Excludes,
            Mode = mode,
            Where = where,
        };
        var common = new[]
        {
            args.Keyword, args.Destination, _img.WorkingDir ?? "/", args.Chown ?? string.Empty, args.Chmod ?? string.Empty,
            args.Parents ? "parents" : string.Empty, string.Join('\0', args.Excludes), string.Join('\0', args.Sources), args.Unpack ? "unpack" : string.Empty,
        };

        // Heredoc files: COPY <<EOF /dest
        var heredocEntries = args.Heredocs.Select(h =>
        {
            var content = h.Expand ? _s.Expander.ProcessWord(h.ChompedContent, ExpansionEnv()) : h.ChompedContent;
            return (h.Name, Bytes: Encoding.UTF8.GetBytes(content));
        }).ToList();

        if (args.From is { Length: > 0 } from)
        {
            var identity = await SourceIdentityAsync(from, node, cancellationToken).ConfigureAwait(false);
            var key = CacheKey.Compute(_key, [.. common, "from", identity]);
            if (await LookupAsync(key, cancellationToken).ConfigureAwait(false) is { } hit)
            {
                Apply(key, hit, createdBy);
                return true;
            }

            var work = Path.Combine(_s.TempDir, "copy-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(work);
            try
            {
                var tree = await SourceTreeAsync(from, work, node, cancellationToken).ConfigureAwait(false);
                try
                {
                    using var source = BuildContext.FromDirectory(tree.Root);
                    var view = await ParentViewAsync(cancellationToken).ConfigureAwait(false);
                    var planned = CopyPlanner.Plan(source, request, view, clamp, preserveOwnership: args.Chown is null);
                    planned = ApplyOwner(planned, args.Chown, view, node);
                    var entry = await WriteCopyLayerAsync(planned, createdBy, reuse: null, cancellationToken).ConfigureAwait(false);
                    await _s.Cache.PutAsync(key, entry, cancellationToken).ConfigureAwait(false);
                    Apply(key, entry, createdBy);
                    return false;
                }
                finally
                {
                    tree.Dispose();
                }
            }
            finally
            {
                Dirs.RemoveAll(work);
            }
        }

        // Sources: context files, heredocs, and (ADD) URLs and local archives.
        var contextSources = new List<string>();
        var urls = new List<string>();
        var gits = new List<(GitSource Source, string Commit)>();
        foreach (var src in args.Sources)
        {
            if (args.Keyword == "ADD" && GitFetcher.IsGitSource(src))
            {
                var git = GitFetcher.Parse(src, where);
                gits.Add((git, await GitFetcher.ResolveAsync(git, where, cancellationToken).ConfigureAwait(false)));
            }
            else if (args.Keyword == "ADD" && (src.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || src.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
            {
                urls.Add(src);
            }
            else
            {
                contextSources.Add(src);
            }
        }

        var workDir = Path.Combine(_s.TempDir, "copy-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var downloads = new List<UrlDownload>();
            foreach (var url in urls)
            {
                Directory.CreateDirectory(workDir);
                downloads.Add(await UrlFetcher.FetchAsync(url, args.Checksum, workDir, where, cancellationToken).ConfigureAwait(false));
            }

            var baseRequest = request with { Sources = contextSources };
            IReadOnlyList<PlannedEntry> planned = contextSources.Count > 0 ? CopyPlanner.Plan(_s.Context, baseRequest, LayeredRootView.Empty, clamp) : [];
            Gantry.Oci.Diagnostics.PhaseTrace.Mark("copy: planned");
            var (checksum, hashed) = CopyChecksum.Compute(planned, _s.Hashes, cancellationToken);
            Gantry.Oci.Diagnostics.PhaseTrace.Mark("copy: checksum");
            var extra = string.Join('\0', heredocEntries.Select(h => h.Name + ":" + Convert.ToHexStringLower(SHA256.HashData(h.Bytes))))
                + "\0" + string.Join('\0', downloads.Select(d => d.Url + ":" + d.Hash + ":" + d.LastModified?.ToUnixTimeSeconds()))
                + "\0" + string.Join('\0', gits.Select(g => g.Source + "@" + g.Commit + (expanded is AddInstruction { KeepGitDir: true } ? ":keep-git-dir" : string.Empty)));
            var key = CacheKey.Compute(_key, [.. common, checksum, extra]);
            if (await LookupAsync(key, cancellationToken).ConfigureAwait(false) is { } hit)
            {
                Apply(key, hit, createdBy);
                return true;
            }

            // The step without its content checksum: what a rebuild after an edit shares with this build, so it can link the
            // files that did not change from this layer (CopyReuseIndex). Its index is read while the copy is planned.
            var reuseStep = CacheKey.Compute(_key, [.. common, "copy-reuse"]).Hex;
            var previous = Task.Run(() => LoadReuseIndex(reuseStep), cancellationToken);
            var view = await ParentViewAsync(cancellationToken).ConfigureAwait(false);
            var dest = args.Destination.StartsWith('/') ? args.Destination : CopyPlanner.JoinImage(_img.WorkingDir ?? "/", args.Destination) + (args.Destination.EndsWith('/') ? "/" : string.Empty);
            var destIsDir = dest.EndsWith('/') || args.Sources.Count + args.Heredocs.Count > 1 || view.IsDirectory(dest);
            var all = new SortedDictionary<string, PlannedEntry>(StringComparer.Ordinal);
            var archives = new List<(string Path, string Dest)>();
            if (contextSources.Count > 0)
            {
                foreach (var e in CopyPlanner.Plan(_s.Context, baseRequest, view, clamp))
                {
                    if (args.Keyword == "ADD" && args.Unpack && e.Kind == PlannedKind.File && e.SourcePath is not null && ArchiveExtractor.IsArchive(e.SourcePath)
                        && contextSources.Any(s => BuildContext.CleanRelative(s, out _) == Path.GetRelativePath(_s.Context.Root, e.SourcePath)))
                    {
                        archives.Add((e.SourcePath, destIsDir || contextSources.Count == 1 ? dest.TrimEnd('/') : Path.GetDirectoryName("/" + e.Path)!));
                        continue;
                    }

                    all[e.Path] = e;
                }
            }

            var mtime = clamp ?? _s.Now();
            foreach (var (name, bytes) in heredocEntries)
            {
                var target = destIsDir ? CopyPlanner.JoinImage(dest, name).TrimStart('/') : dest.Trim('/');
                all[target] = new PlannedEntry { Path = target, Kind = PlannedKind.File, Content = bytes, Mode = mode ?? 0b110_100_100, ModificationTime = mtime };
            }

            foreach (var d in downloads)
            {
                var name = UrlFetcher.FileName(d.Url);
                var target = destIsDir ? CopyPlanner.JoinImage(dest, name).TrimStart('/') : dest.Trim('/');
                var fileTime = d.LastModified ?? DateTimeOffset.UnixEpoch;
                all[target] = new PlannedEntry { Path = target, Kind = PlannedKind.File, SourcePath = d.Path, Mode = mode ?? 0b110_000_000, ModificationTime = clamp is { } c && c < fileTime ? c : fileTime };
            }

            foreach (var (git, commit) in gits)
            {
                // A repository is always copied as a directory: its files land under the destination (docker's ADD git semantics).
                Directory.CreateDirectory(workDir);
                var (tree, commitTime) = await GitFetcher.FetchAsync(git, commit, expanded is AddInstruction { KeepGitDir: true }, workDir, where, cancellationToken).ConfigureAwait(false);
                using var source = BuildContext.FromDirectory(tree);
                var gitTime = clamp is { } c && c < commitTime ? c : commitTime;
                foreach (var e in CopyPlanner.Plan(source, request with { Sources = ["."], Destination = dest.TrimEnd('/') + "/", Excludes = [] }, view, gitTime))
                {
                    all[e.Path] = e;
                }
            }

            foreach (var (archive, target) in archives)
            {
                Directory.CreateDirectory(workDir);
                var extracted = Path.Combine(workDir, "archive-" + all.Count.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(extracted);
                await ArchiveExtractor.ExtractAsync(archive, extracted, where, cancellationToken).ConfigureAwait(false);
                using var source = BuildContext.FromDirectory(extracted);
                var sub = CopyPlanner.Plan(source, request with { Sources = ["."], Destination = target + "/", Excludes = [] }, view, clamp, preserveOwnership: true);
                foreach (var e in sub)
                {
                    all[e.Path] = e;
                }
            }

            Gantry.Oci.Diagnostics.PhaseTrace.Mark("copy: planned again");
            AddParentDirectories(all, view, clamp);
            var result = WithContentHashes(ApplyOwner(all.Values.ToList(), args.Chown, view, node), hashed);

            var entry = await WriteCopyLayerAsync(result, createdBy, (reuseStep, previous), cancellationToken).ConfigureAwait(false);
            await _s.Cache.PutAsync(key, entry, cancellationToken).ConfigureAwait(false);
            Apply(key, entry, createdBy);
            return false;
        }
        finally
        {
            Dirs.RemoveAll(workDir);
        }
    }

    private static void AddParentDirectories(SortedDictionary<string, PlannedEntry> entries, LayeredRootView parent, DateTimeOffset? clamp)
    {
        foreach (var path in entries.Keys.ToList())
        {
            var dir = Path.GetDirectoryName("/" + path)!.Trim('/');
            while (dir.Length > 0 && !entries.ContainsKey(dir))
            {
                var existing = parent.Lookup("/" + dir);
                var isDir = existing is { } e && e.Stat.IsDirectory;
                entries[dir] = new PlannedEntry
                {
                    Path = dir,
                    Kind = PlannedKind.Directory,
                    Mode = isDir ? (int)existing!.Value.Stat.Permissions : 0b111_101_101,
                    Uid = isDir ? (int)existing!.Value.Stat.Uid : 0,
                    Gid = isDir ? (int)existing!.Value.Stat.Gid : 0,
                    ModificationTime = isDir ? existing!.Value.Stat.Mtime : clamp ?? DateTimeOffset.UnixEpoch,
                };
                dir = Path.GetDirectoryName("/" + dir)!.Trim('/');
            }
        }
    }

    private List<PlannedEntry> ApplyOwner(IReadOnlyList<PlannedEntry> planned, string? chown, LayeredRootView view, InstructionNode node)
    {
        if (string.IsNullOrEmpty(chown))
        {
            return planned.ToList();
        }

        var (uid, gid) = ResolveOwner(chown, view, node, forChown: true);
        // Parent directories that already exist keep their owner; everything copied gets the new one.
        return planned.Select(e => e.Kind == PlannedKind.Directory && view.IsDirectory("/" + e.Path) && e.Uid == 0 ? e : e with { Uid = uid, Gid = gid }).ToList();
    }

    /// <summary>The planned context files with the content hashes the checksum pass computed (matched by source path).</summary>
    private static List<PlannedEntry> WithContentHashes(List<PlannedEntry> entries, IReadOnlyList<PlannedEntry> hashed)
    {
        var bySource = new Dictionary<string, byte[]>(hashed.Count, StringComparer.Ordinal);
        foreach (var h in hashed)
        {
            if (h is { Kind: PlannedKind.File, SourcePath: { } source, ContentHash: { } hash })
            {
                bySource[source] = hash;
            }
        }

        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i] is { Kind: PlannedKind.File, ContentHash: null, SourcePath: { } source } e && bySource.TryGetValue(source, out var hash))
            {
                entries[i] = e with { ContentHash = hash };
            }
        }

        return entries;
    }

    private CopyReuseIndex? LoadReuseIndex(string reuseStep)
    {
        var snapshots = _s.Rootfs.Snapshots;
        return CopyReuseIndex.Load(_s.BuildDir, reuseStep, d => snapshots.HasLayer(d) ? snapshots.LayerPath(d) : null);
    }

    /// <summary>
    /// Writes the COPY layer (and unpacks it while writing). With <paramref name="reuse"/> (the step's identity and its
    /// index, being loaded), files unchanged since the step's previous layer are hard-linked from it in the new layer's
    /// directory, and this layer is recorded for the next build (in the background: no later step reads the record).
    /// </summary>
    private async Task<StepCacheEntry> WriteCopyLayerAsync(IReadOnlyList<PlannedEntry> planned, string createdBy, (string Step, Task<CopyReuseIndex?> Index)? reuse, CancellationToken cancellationToken)
    {
        var snapshots = _s.Rootfs.Snapshots;
        var previous = reuse is { } r ? await r.Index.ConfigureAwait(false) : null;
        var options = previous is null ? _s.LayerOptions : _s.LayerOptions with { UnpackSameFile = previous.Lookup(planned) };
        Gantry.Oci.Diagnostics.PhaseTrace.Mark("copy: reuse index loaded");
        var writer = new LayerWriter(options);
        foreach (var e in planned)
        {
            writer.Add(e.Kind switch
            {
                PlannedKind.Directory => LayerEntry.Directory(e.Path, e.Uid, e.Gid, e.Mode, e.ModificationTime),
                PlannedKind.Symlink => LayerEntry.Symlink(e.Path, e.LinkTarget ?? string.Empty, e.Uid, e.Gid, e.ModificationTime),
                _ when e.SourcePath is not null => LayerEntry.FromFile(e.Path, e.SourcePath, e.Uid, e.Gid, e.Mode, e.ModificationTime),
                _ => LayerEntry.FromBytes(e.Path, e.Content ?? ReadOnlyMemory<byte>.Empty, e.Uid, e.Gid, e.Mode, e.ModificationTime),
            });
        }

        var layer = writer.IsEmpty
            ? await writer.WriteAsync(Stream.Null, cancellationToken).ConfigureAwait(false)
            : await _s.Rootfs.StoreLayerAsync(_s.Store, options, unpack: true, writer.WriteAsync, cancellationToken).ConfigureAwait(false);
        Gantry.Oci.Diagnostics.PhaseTrace.Mark("copy: layer stored");
        if (reuse is { Step: var step } && !layer.IsEmpty && snapshots.HasLayer(layer.DiffId))
        {
            var layerDir = snapshots.LayerPath(layer.DiffId);
            _s.RunInBackground(() => CopyReuseIndex.Record(_s.BuildDir, step, layer.DiffId, layerDir, planned));
        }

        Gantry.Oci.Diagnostics.PhaseTrace.Mark("copy: reuse recorded");

        return ToEntry(layer, createdBy);
    }

    private static string StripKeyword(string original)
    {
        var trimmed = original.Trim();
        var space = trimmed.IndexOfAny([' ', '\t']);
        return space < 0 ? string.Empty : trimmed[(space + 1)..].TrimStart();
    }

    /// <summary>What identifies the content of a --from source without reading it: a stage's cache key or an image ID.</summary>
    private async Task<string> SourceIdentityAsync(string from, InstructionNode node, CancellationToken cancellationToken)
    {
        if (_s.Plan.Find(from, _stage.Index) is { } stage)
        {
            var result = await _s.GetStageAsync(stage.Index).ConfigureAwait(false);
            return "stage " + result.Key.Hex;
        }

        if (int.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out _) || _s.Plan.Stages.Any(s => string.Equals(s.Name, from, StringComparison.OrdinalIgnoreCase)))
        {
            throw new GantryException($"{_s.Where(node)}: --from={from} names a stage that is not defined before this one; stages can only copy from earlier stages");
        }

        var image = await BaseImages.ResolveAsync(_s, from, _s.TargetPlatform, _s.Where(node), cancellationToken).ConfigureAwait(false);
        return "image " + image.Id;
    }

    /// <summary>A directory showing the final filesystem of a stage or image (a read-only overlay when it has several layers).</summary>
    private async Task<SourceTree> SourceTreeAsync(string from, string work, InstructionNode node, CancellationToken cancellationToken)
    {
        IReadOnlyList<Descriptor> layers;
        IReadOnlyList<Digest> diffIds;
        if (_s.Plan.Find(from, _stage.Index) is { } stage)
        {
            var result = await _s.GetStageAsync(stage.Index).ConfigureAwait(false);
            layers = result.Image.Layers;
            diffIds = result.Image.DiffIds;
        }
        else
        {
            var image = await BaseImages.ResolveAsync(_s, from, _s.TargetPlatform, _s.Where(node), cancellationToken).ConfigureAwait(false);
            layers = image.Layers;
            diffIds = image.Config.RootFs.DiffIds;
        }

        var dirs = await _s.Rootfs.GetLayerDirsAsync(layers, diffIds, cancellationToken).ConfigureAwait(false);
        if (dirs.Count == 0)
        {
            var empty = Path.Combine(work, "from-empty");
            Directory.CreateDirectory(empty);
            return new SourceTree(empty, null);
        }

        if (dirs.Count == 1)
        {
            return new SourceTree(dirs[0], null);
        }

        var mount = Path.Combine(work, "from-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(mount);
        Mounts.MountOverlay(dirs.Reverse().ToList(), null, null, mount);
        return new SourceTree(mount, mount);
    }

    private sealed record SourceTree(string Root, string? MountPoint) : IDisposable
    {
        public void Dispose()
        {
            if (MountPoint is not null)
            {
                Mounts.Unmount(MountPoint);
            }
        }
    }
}
