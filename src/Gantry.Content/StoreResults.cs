// Owns: the result records of removing, pruning, collecting garbage and measuring disk usage.
using Gantry.Oci;

namespace Gantry.Content;

/// <summary>What an image removal did, in docker's terms: names untagged (familiar form) and IDs deleted (image ID, then layer chain IDs).</summary>
public sealed record RemoveResult(IReadOnlyList<string> Untagged, IReadOnlyList<Digest> Deleted, long ReclaimedBytes);

/// <summary>What a prune did: one <see cref="RemoveResult"/> per image plus the total bytes freed.</summary>
public sealed record PruneResult(IReadOnlyList<RemoveResult> Removed, long ReclaimedBytes);

/// <summary>Blobs GC removed and the bytes freed.</summary>
public sealed record GcResult(IReadOnlyList<Digest> RemovedBlobs, long ReclaimedBytes);

/// <summary>Image disk usage as `docker system df` shows it.</summary>
public sealed record ImageDiskUsage(int Total, int Active, long Size, long Reclaimable);
