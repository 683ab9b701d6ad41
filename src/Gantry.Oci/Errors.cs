// Owns: the exception types that carry a user-facing message across every Gantry project.
namespace Gantry.Oci;

/// <summary>An error whose message is fit to show a person as it is: one sentence naming the input and the fix.</summary>
public class GantryException : Exception
{
    public GantryException()
    {
    }

    public GantryException(string message)
        : base(message)
    {
    }

    public GantryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The process exit code this error maps to (docker uses 1 for most errors, 125 for engine errors).</summary>
    public int ExitCode { get; init; } = 1;
}

/// <summary>A digest string that is not a valid digest.</summary>
public sealed class InvalidDigestException : GantryException
{
    public InvalidDigestException(string value, string reason)
        : base($"invalid digest '{value}': {reason}")
    {
        Value = value;
    }

    public string Value { get; }
}

/// <summary>Content whose size or digest does not match what was expected.</summary>
public sealed class DigestMismatchException : GantryException
{
    public DigestMismatchException(string message)
        : base(message)
    {
    }
}

/// <summary>Content (a blob, manifest, image) that was asked for and is not there.</summary>
public sealed class ContentNotFoundException : GantryException
{
    public ContentNotFoundException(string message)
        : base(message)
    {
    }
}
