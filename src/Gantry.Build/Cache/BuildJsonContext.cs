// Owns: source-generated JSON metadata for the builder's own persisted records.
using System.Text.Json.Serialization;

namespace Gantry.Build.Cache;

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(StepCacheEntry))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class BuildJsonContext : JsonSerializerContext;
