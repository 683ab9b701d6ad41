// Owns: one name (and optional default) declared by an ARG instruction.
namespace Gantry.Dockerfile.Instructions;

/// <summary>An ARG: <see cref="Default"/> is null when none was given (<c>ARG NAME</c>), "" for <c>ARG NAME=</c>.</summary>
public sealed record ArgDefinition(string Name, string? Default);
