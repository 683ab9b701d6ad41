// Owns: a non-fatal finding of the parser (e.g. an empty line inside a continuation).
namespace Gantry.Dockerfile.Syntax;

/// <summary>A warning found while parsing; the Dockerfile is still usable.</summary>
public sealed record ParseWarning(string Message, SourceRange Range);
