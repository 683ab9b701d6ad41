// Owns: the result of expanding one word: the value plus which variables were found and which were not.
namespace Gantry.Dockerfile.Shell;

/// <summary>An expanded word; <see cref="Unmatched"/> names variables that were referenced but not set (for UndefinedVar).</summary>
public sealed record ExpansionResult(string Value, IReadOnlySet<string> Matched, IReadOnlySet<string> Unmatched);
