// Owns: the internal signal that an upload request failed in a way worth resuming (transient status, expired token).
namespace Gantry.Registry.Client.Transfer;

internal sealed class UploadInterruptedException(Uri location, string reason) : IOException($"upload interrupted: {reason}")
{
    public Uri Location { get; } = location;
}
