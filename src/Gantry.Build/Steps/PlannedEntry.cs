// Owns: one entry a COPY/ADD step will write into its layer (destination, type, owner, mode, where its bytes come from).
using Gantry.Build.Native;

namespace Gantry.Build.Steps;

public enum PlannedKind
{
    File,
    Directory,
    Symlink,
}

/// <summary>
/// A COPY/ADD layer entry. <see cref="Path"/> is relative to the image root without a leading slash ("app/x.js").
/// File bytes come from <see cref="SourcePath"/> or <see cref="Content"/>.
/// </summary>
public sealed record PlannedEntry
{
    public required string Path { get; init; }

    public required PlannedKind Kind { get; init; }

    public string? SourcePath { get; init; }

    /// <summary>The lstat of <see cref="SourcePath"/> taken when the context was walked (the stat cache's key), or null to stat it again.</summary>
    public FileStat? SourceStat { get; init; }

    public ReadOnlyMemory<byte>? Content { get; init; }

    public string? LinkTarget { get; init; }

    public int Uid { get; init; }

    public int Gid { get; init; }

    /// <summary>Permission bits (07777).</summary>
    public int Mode { get; init; }

    public DateTimeOffset? ModificationTime { get; init; }

    /// <summary>The sha256 of the file's content when known (context files, via the stat cache).</summary>
    public byte[]? ContentHash { get; init; }
}
