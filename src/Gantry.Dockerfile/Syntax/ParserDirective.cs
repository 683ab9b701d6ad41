// Owns: a parser directive read from the top of a Dockerfile (`# syntax=`, `# escape=`, `# check=`).
namespace Gantry.Dockerfile.Syntax;

/// <summary>A parser directive; <see cref="Name"/> is lower-case.</summary>
public sealed record ParserDirective(string Name, string Value, int Line);
