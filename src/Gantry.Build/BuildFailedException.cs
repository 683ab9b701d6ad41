// Owns: the error a failing build step raises (with the Dockerfile line, the instruction and, for RUN, output and exit code).
using Gantry.Oci;

namespace Gantry.Build;

/// <summary>A step failed; the message names the Dockerfile line and instruction; RUN failures carry the exit code.</summary>
public sealed class BuildFailedException : GantryException
{
    public BuildFailedException(string message)
        : base(message)
    {
    }

    public BuildFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public BuildFailedException()
    {
    }

    /// <summary>The exit code of a failed RUN, when that is what failed.</summary>
    public int? RunExitCode { get; init; }
}
