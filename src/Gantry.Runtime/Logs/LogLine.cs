// Owns: one line of a container log in docker's json-file format: {"log":"…\n","stream":"stdout","time":"…"}.
using System.Text.Json.Serialization;

namespace Gantry.Runtime.Logs;

public sealed class LogLine
{
    [JsonPropertyName("log")]
    public string Log { get; set; } = "";

    [JsonPropertyName("stream")]
    public string Stream { get; set; } = "stdout";

    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; set; }
}
