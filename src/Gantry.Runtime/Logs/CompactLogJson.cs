// Owns: source-generated compact (single-line) JSON for log lines.
using System.Text.Json.Serialization;

namespace Gantry.Runtime.Logs;

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(LogLine))]
internal sealed partial class CompactLogJson : JsonSerializerContext;
