// Owns: the OCI runtime-spec config.json records (the subset Gantry writes), serialized with RuntimeJsonContext.
using System.Text.Json.Serialization;

namespace Gantry.Runtime.Spec;

/// <summary>The root of an OCI runtime bundle's config.json.</summary>
public sealed class OciRuntimeSpec
{
    [JsonPropertyName("ociVersion")]
    public string OciVersion { get; set; } = "1.0.2";

    [JsonPropertyName("process")]
    public OciProcess Process { get; set; } = new();

    [JsonPropertyName("root")]
    public OciRoot Root { get; set; } = new();

    [JsonPropertyName("hostname")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Hostname { get; set; }

    [JsonPropertyName("mounts")]
    public List<OciMount> Mounts { get; set; } = [];

    [JsonPropertyName("linux")]
    public OciLinux Linux { get; set; } = new();
}

public sealed class OciProcess
{
    [JsonPropertyName("terminal")]
    public bool Terminal { get; set; }

    [JsonPropertyName("user")]
    public OciUser User { get; set; } = new();

    [JsonPropertyName("args")]
    public List<string> Args { get; set; } = [];

    [JsonPropertyName("env")]
    public List<string> Env { get; set; } = [];

    [JsonPropertyName("cwd")]
    public string Cwd { get; set; } = "/";

    [JsonPropertyName("capabilities")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OciCapabilities? Capabilities { get; set; }

    [JsonPropertyName("rlimits")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<OciRlimit>? Rlimits { get; set; }

    [JsonPropertyName("noNewPrivileges")]
    public bool NoNewPrivileges { get; set; }

    [JsonPropertyName("oomScoreAdj")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? OomScoreAdj { get; set; }
}

public sealed class OciUser
{
    [JsonPropertyName("uid")]
    public uint Uid { get; set; }

    [JsonPropertyName("gid")]
    public uint Gid { get; set; }

    [JsonPropertyName("additionalGids")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<uint>? AdditionalGids { get; set; }
}

public sealed class OciCapabilities
{
    [JsonPropertyName("bounding")]
    public List<string> Bounding { get; set; } = [];

    [JsonPropertyName("effective")]
    public List<string> Effective { get; set; } = [];

    [JsonPropertyName("permitted")]
    public List<string> Permitted { get; set; } = [];

    [JsonPropertyName("inheritable")]
    public List<string> Inheritable { get; set; } = [];

    [JsonPropertyName("ambient")]
    public List<string> Ambient { get; set; } = [];
}

public sealed class OciRlimit
{
    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    [JsonPropertyName("hard")]
    public ulong Hard { get; set; }

    [JsonPropertyName("soft")]
    public ulong Soft { get; set; }
}

public sealed class OciRoot
{
    [JsonPropertyName("path")]
    public string Path { get; set; } = "rootfs";

    [JsonPropertyName("readonly")]
    public bool Readonly { get; set; }
}

public sealed class OciMount
{
    [JsonPropertyName("destination")]
    public string Destination { get; set; } = "";

    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    [JsonPropertyName("source")]
    public string Source { get; set; } = "";

    [JsonPropertyName("options")]
    public List<string> Options { get; set; } = [];
}

public sealed class OciLinux
{
    [JsonPropertyName("namespaces")]
    public List<OciNamespace> Namespaces { get; set; } = [];

    [JsonPropertyName("resources")]
    public OciResources Resources { get; set; } = new();

    [JsonPropertyName("cgroupsPath")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CgroupsPath { get; set; }

    [JsonPropertyName("maskedPaths")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? MaskedPaths { get; set; }

    [JsonPropertyName("readonlyPaths")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? ReadonlyPaths { get; set; }

    [JsonPropertyName("sysctl")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? Sysctl { get; set; }
}

public sealed class OciNamespace
{
    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    [JsonPropertyName("path")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Path { get; set; }
}

public sealed class OciResources
{
    [JsonPropertyName("devices")]
    public List<OciDeviceRule> Devices { get; set; } = [];

    [JsonPropertyName("memory")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OciMemory? Memory { get; set; }

    [JsonPropertyName("cpu")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OciCpu? Cpu { get; set; }

    [JsonPropertyName("pids")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OciPids? Pids { get; set; }
}

public sealed class OciDeviceRule
{
    [JsonPropertyName("allow")]
    public bool Allow { get; set; }

    [JsonPropertyName("access")]
    public string Access { get; set; } = "rwm";
}

public sealed class OciMemory
{
    [JsonPropertyName("limit")]
    public long Limit { get; set; }
}

public sealed class OciCpu
{
    [JsonPropertyName("quota")]
    public long Quota { get; set; }

    [JsonPropertyName("period")]
    public ulong Period { get; set; }
}

public sealed class OciPids
{
    [JsonPropertyName("limit")]
    public long Limit { get; set; }
}

/// <summary>The subset of `crun state` / `runc state` output Gantry reads.</summary>
public sealed class OciState
{
    [JsonPropertyName("id")]
    public string Id { get; set; } = "";

    [JsonPropertyName("status")]
    public string Status { get; set; } = "";

    [JsonPropertyName("pid")]
    public int Pid { get; set; }
}
