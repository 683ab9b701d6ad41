// Owns: the persisted description of a named volume (volumes/<name>/volume.json).
namespace Gantry.Runtime.Volumes;

public sealed class VolumeRecord
{
    public string Name { get; set; } = "";

    public string Driver { get; set; } = "local";

    public string Mountpoint { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public Dictionary<string, string> Labels { get; set; } = [];
}
