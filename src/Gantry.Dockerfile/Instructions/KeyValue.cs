// Owns: one ENV/LABEL pair of a typed instruction.
namespace Gantry.Dockerfile.Instructions;

/// <summary>A <c>key=value</c> pair. <see cref="Legacy"/> is true for the old <c>ENV key value</c> form (LegacyKeyValueFormat).</summary>
public sealed record KeyValue(string Key, string Value, bool Legacy);
