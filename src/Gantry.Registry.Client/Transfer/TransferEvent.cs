// Owns: the progress events pull and push report per blob (docker's "Pulling fs layer", "Pull complete", "Pushed", …).
using Gantry.Oci;

namespace Gantry.Registry.Client.Transfer;

public enum TransferState
{
    /// <summary>Queued behind the concurrency cap.</summary>
    Waiting,

    /// <summary>Already in the local store (pull) or at the registry (push).</summary>
    AlreadyExists,

    /// <summary>Bytes moving; <see cref="TransferEvent.Current"/> says how many so far.</summary>
    Transferring,

    /// <summary>The download was interrupted and resumed (Range) or the upload restarted.</summary>
    Retrying,

    /// <summary>Done: pulled and verified, or pushed.</summary>
    Complete,

    /// <summary>Pushed by cross-repository mount from <see cref="TransferEvent.Detail"/>.</summary>
    Mounted,

    /// <summary>Not transferred (a non-distributable layer the registry does not hold).</summary>
    Skipped,
}

/// <summary>One progress update for a blob. <see cref="IsLayer"/> is false for the config blob.</summary>
public sealed record TransferEvent(Digest Digest, long Size, TransferState State, long Current = 0, string? Detail = null, bool IsLayer = true);
