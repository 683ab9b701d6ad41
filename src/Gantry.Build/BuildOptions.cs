// Owns: everything a caller tells the builder for one `gantry build` (context, Dockerfile, tags, args, flags).
using Gantry.Oci;

namespace Gantry.Build;

/// <summary>The inputs of one build. Only <see cref="ContextDirectory"/> (or a context tar) and <see cref="StoreRoot"/> are required.</summary>
public sealed record BuildOptions
{
    /// <summary>The store root ($GANTRY_ROOT): content/, snapshots/, build/, tmp/ live under it.</summary>
    public required string StoreRoot { get; init; }

    /// <summary>The context directory; null when <see cref="ContextTar"/> is given.</summary>
    public string? ContextDirectory { get; init; }

    /// <summary>A tar stream holding the context (docker build -), used when <see cref="ContextDirectory"/> is null.</summary>
    public Stream? ContextTar { get; init; }

    /// <summary>Path of the Dockerfile (-f); null means CONTEXT/Dockerfile. Ignored when <see cref="DockerfileText"/> is set.</summary>
    public string? DockerfilePath { get; init; }

    /// <summary>Dockerfile text given directly (-f - reads it from stdin).</summary>
    public string? DockerfileText { get; init; }

    /// <summary>Names to tag the result with (docker -t), normalized by the caller or here.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>--build-arg values; a null value means "take it from the environment" (docker's --build-arg NAME).</summary>
    public IReadOnlyDictionary<string, string?> BuildArgs { get; init; } = new Dictionary<string, string?>();

    public string? Target { get; init; }

    public bool NoCache { get; init; }

    /// <summary>Always ask the base image provider for FROM images, even when they are in the store.</summary>
    public bool Pull { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Target platform; null = the host's.</summary>
    public Platform? Platform { get; init; }

    /// <summary>"host" (default) or "none" for RUN steps.</summary>
    public string Network { get; init; } = "host";

    /// <summary>--secret id=…,src=… values: id → host file.</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();

    /// <summary>--ssh values: id → agent socket or private key files; an empty list means the caller's $SSH_AUTH_SOCK.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Ssh { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Layer compression: gzip (default) or zstd.</summary>
    public Compression Compression { get; init; } = Compression.Gzip;

    /// <summary>SOURCE_DATE_EPOCH: clamps file times and sets history/created times; null reads the environment.</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }

    /// <summary>Where step events go (plain lines, a live view, or nothing).</summary>
    public IBuildProgress Progress { get; init; } = NullBuildProgress.Instance;

    /// <summary>Supplies base images missing from the store (the registry client, wired by the CLI); null = local store only.</summary>
    public IBaseImageProvider? BaseImages { get; init; }

    /// <summary>The OCI runtime binary for RUN steps (crun, runc); null lets the runtime choose.</summary>
    public string? RuntimeBinary { get; init; }
}
