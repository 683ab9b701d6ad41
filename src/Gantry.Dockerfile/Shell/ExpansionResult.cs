// Owns: the result of expanding one word: the value plus which variables were found and which were not.
namespace Gantry.Dockerfile.Shell;

/// <summary>
/// An expanded word. <see cref="Unmatched"/> names variables referenced without a fallback (<c>$X</c>, <c>${X}</c>,
/// <c>${X#p}</c>, …, not <c>${X:-d}</c>/<c>${X:+w}</c>/<c>${X:?m}</c>) that were not set: what UndefinedVar reports.
/// </summary>
public sealed record ExpansionResult(string Value, IReadOnlySet<string> Matched, IReadOnlySet<string> Unmatched);
