// Owns: the knobs of a snapshot store.
namespace Gantry.Snapshots;

public sealed record SnapshotStoreOptions
{
    /// <summary>Force the copy-based fallback even where overlayfs works (tests, odd filesystems). Also $GANTRY_SNAPSHOTTER=copy.</summary>
    public bool ForceCopy { get; init; } = Environment.GetEnvironmentVariable("GANTRY_SNAPSHOTTER") == "copy";

    /// <summary>How many layers to unpack at the same time.</summary>
    public int MaxParallelUnpacks { get; init; } = Math.Max(2, Environment.ProcessorCount);
}
