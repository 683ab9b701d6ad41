// Owns: the internal signal that an upload request failed in a way worth resuming (transient status, dropped connection, expired token).
namespace Gantry.Registry.Client.Transfer;

internal sealed class UploadInterruptedException(Uri location, string reason, Exception? inner = null) : IOException($"upload interrupted: {reason}", inner)
{
    /// <summary>The upload session's latest location (what the status query asks).</summary>
    public Uri Location { get; } = location;
}
