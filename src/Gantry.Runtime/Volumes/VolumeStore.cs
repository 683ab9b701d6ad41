// Owns: $ROOT/volumes: named volumes (create, list, inspect, remove), each a _data folder bind-mounted into containers.
using System.Text.Json;
using Gantry.Oci;
using Gantry.Runtime.Spec;

namespace Gantry.Runtime.Volumes;

public sealed class VolumeStore
{
    public VolumeStore(string storeRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(storeRoot);
        Root = Path.Combine(Path.GetFullPath(storeRoot), "volumes");
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Creates the volume (idempotent, as docker's) and returns it.</summary>
    public VolumeRecord Create(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || !char.IsAsciiLetterOrDigit(name[0]) || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')))
        {
            throw new GantryException($"invalid volume name \"{name}\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        }

        var existing = TryGet(name);
        if (existing is not null)
        {
            return existing;
        }

        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.Combine(dir, "_data"));
        var record = new VolumeRecord
        {
            Name = name,
            Mountpoint = Path.Combine(dir, "_data"),
            CreatedAt = DateTimeOffset.UtcNow,
            Labels = labels is null ? [] : new Dictionary<string, string>(labels),
        };
        File.WriteAllBytes(Path.Combine(dir, "volume.json"), JsonSerializer.SerializeToUtf8Bytes(record, RuntimeJsonContext.Default.VolumeRecord));
        return record;
    }

    public VolumeRecord? TryGet(string name)
    {
        var file = Path.Combine(Root, name, "volume.json");
        if (name.Contains('/', StringComparison.Ordinal) || name.StartsWith('.') || !File.Exists(file))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(file), RuntimeJsonContext.Default.VolumeRecord);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public VolumeRecord Get(string name) => TryGet(name) ?? throw new ContentNotFoundException($"get {name}: no such volume");

    public List<VolumeRecord> List() =>
        Directory.EnumerateDirectories(Root).Select(d => TryGet(Path.GetFileName(d))).OfType<VolumeRecord>().OrderBy(v => v.Name, StringComparer.Ordinal).ToList();

    public void Remove(string name)
    {
        var v = Get(name);
        Directory.Delete(Path.Combine(Root, v.Name), recursive: true);
    }
}
