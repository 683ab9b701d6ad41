// Owns: source-generated JSON metadata for the runtime spec, runtime state output and Gantry's container records.
using System.Text.Json.Serialization;
using Gantry.Runtime.Logs;
using Gantry.Runtime.State;
using Gantry.Runtime.Volumes;

namespace Gantry.Runtime.Spec;

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never, UseStringEnumConverter = true)]
[JsonSerializable(typeof(OciRuntimeSpec))]
[JsonSerializable(typeof(OciProcess))]
[JsonSerializable(typeof(OciState))]
[JsonSerializable(typeof(List<int>))]
[JsonSerializable(typeof(ContainerRecord))]
[JsonSerializable(typeof(VolumeRecord))]
[JsonSerializable(typeof(LogLine))]
public sealed partial class RuntimeJsonContext : JsonSerializerContext;
