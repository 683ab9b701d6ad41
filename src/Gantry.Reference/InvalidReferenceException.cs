// Owns: the error raised for an image reference that breaks docker's naming rules.
using Gantry.Oci;

namespace Gantry.Reference;

/// <summary>An image name that is not a valid reference; the message names the input and the rule.</summary>
public sealed class InvalidReferenceException : GantryException
{
    public InvalidReferenceException(string value, string rule)
        : base($"invalid reference format '{value}': {rule}")
    {
        Value = value;
        Rule = rule;
        ExitCode = 125;
    }

    public string Value { get; }

    public string Rule { get; }
}
