// Owns: the image being assembled by one stage: its runtime config (Docker's rules), layers, diff IDs and history.
using Gantry.Oci;

namespace Gantry.Build.Config;

/// <summary>
/// Mutable image state while a stage's instructions are dispatched; <see cref="ToConfig"/> freezes it into an OCI image config.
/// </summary>
public sealed class ImageState
{
    public string Architecture { get; set; } = Platform.Current.Architecture;

    public string Os { get; set; } = "linux";

    public string? Variant { get; set; }

    public string? Author { get; set; }

    public DateTimeOffset? BaseCreated { get; set; }

    /// <summary>Env in order, "KEY=VALUE" semantics with replacement by key.</summary>
    public List<KeyValuePair<string, string>> Env { get; } = [];

    public IReadOnlyList<string>? Cmd { get; set; }

    public IReadOnlyList<string>? Entrypoint { get; set; }

    public string? WorkingDir { get; set; }

    public string? User { get; set; }

    public SortedDictionary<string, EmptyObject> ExposedPorts { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, EmptyObject> Volumes { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, string> Labels { get; } = new(StringComparer.Ordinal);

    public string? StopSignal { get; set; }

    public HealthcheckConfig? Healthcheck { get; set; }

    public List<string> OnBuild { get; } = [];

    public IReadOnlyList<string>? Shell { get; set; }

    public bool ArgsEscaped { get; set; }

    /// <summary>True once CMD was set in this stage (ENTRYPOINT then keeps it, as BuildKit does).</summary>
    public bool CmdSetInStage { get; set; }

    public List<Descriptor> Layers { get; } = [];

    public List<Digest> DiffIds { get; } = [];

    public List<HistoryEntry> History { get; } = [];

    /// <summary>The shell RUN/CMD/ENTRYPOINT shell forms use: SHELL, else /bin/sh -c.</summary>
    public IReadOnlyList<string> EffectiveShell => Shell is { Count: > 0 } s ? s : ["/bin/sh", "-c"];

    public string? GetEnv(string key) => Env.FindLast(kv => kv.Key == key) is { Key: not null } kv ? kv.Value : null;

    public void SetEnv(string key, string value)
    {
        var index = Env.FindIndex(kv => kv.Key == key);
        if (index >= 0)
        {
            Env[index] = new(key, value);
        }
        else
        {
            Env.Add(new(key, value));
        }
    }

    public IReadOnlyList<string> EnvList() => Env.Select(kv => $"{kv.Key}={kv.Value}").ToList();

    /// <summary>Starts from a base image's config (its layers and history carried over, ONBUILD triggers cleared).</summary>
    public static ImageState FromBase(ImageConfig config, IReadOnlyList<Descriptor> layers)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(layers);
        var state = new ImageState
        {
            Architecture = config.Architecture,
            Os = config.Os,
            Variant = config.Variant,
            BaseCreated = config.Created,
        };
        var c = config.Config;
        if (c is not null)
        {
            foreach (var e in c.Env ?? [])
            {
                var eq = e.IndexOf('=', StringComparison.Ordinal);
                state.SetEnv(eq < 0 ? e : e[..eq], eq < 0 ? string.Empty : e[(eq + 1)..]);
            }

            state.Cmd = c.Cmd;
            state.Entrypoint = c.Entrypoint;
            state.WorkingDir = string.IsNullOrEmpty(c.WorkingDir) ? null : c.WorkingDir;
            state.User = string.IsNullOrEmpty(c.User) ? null : c.User;
            foreach (var p in c.ExposedPorts?.Keys ?? [])
            {
                state.ExposedPorts[p] = EmptyObject.Instance;
            }

            foreach (var v in c.Volumes?.Keys ?? [])
            {
                state.Volumes[v] = EmptyObject.Instance;
            }

            foreach (var (k, v) in c.Labels ?? new Dictionary<string, string>())
            {
                state.Labels[k] = v;
            }

            state.StopSignal = c.StopSignal;
            state.Healthcheck = c.Healthcheck;
            state.Shell = c.Shell;
            state.ArgsEscaped = c.ArgsEscaped;
        }

        state.Layers.AddRange(layers);
        state.DiffIds.AddRange(config.RootFs.DiffIds);
        state.History.AddRange(config.History ?? []);
        return state;
    }

    /// <summary>A copy for a stage that starts FROM another stage (CMD-set flag and ONBUILD triggers reset).</summary>
    public ImageState Clone()
    {
        var copy = new ImageState
        {
            Architecture = Architecture,
            Os = Os,
            Variant = Variant,
            Author = Author,
            BaseCreated = BaseCreated,
            Cmd = Cmd,
            Entrypoint = Entrypoint,
            WorkingDir = WorkingDir,
            User = User,
            StopSignal = StopSignal,
            Healthcheck = Healthcheck,
            Shell = Shell,
            ArgsEscaped = ArgsEscaped,
        };
        copy.Env.AddRange(Env);
        foreach (var (k, v) in ExposedPorts)
        {
            copy.ExposedPorts[k] = v;
        }

        foreach (var (k, v) in Volumes)
        {
            copy.Volumes[k] = v;
        }

        foreach (var (k, v) in Labels)
        {
            copy.Labels[k] = v;
        }

        copy.OnBuild.AddRange(OnBuild);
        copy.Layers.AddRange(Layers);
        copy.DiffIds.AddRange(DiffIds);
        copy.History.AddRange(History);
        return copy;
    }

    /// <summary>The base OnBuild triggers (kept apart, since a child build runs and then drops them).</summary>
    public static IReadOnlyList<string> BaseTriggers(ImageConfig config) => config?.Config?.OnBuild ?? [];

    public void AddHistory(string createdBy, bool emptyLayer, DateTimeOffset created, string? comment = "buildkit.dockerfile.v0") =>
        History.Add(new HistoryEntry { Created = created, CreatedBy = createdBy, Comment = comment, EmptyLayer = emptyLayer });

    public void AddLayer(Descriptor layer, Digest diffId, string createdBy, DateTimeOffset created)
    {
        Layers.Add(layer);
        DiffIds.Add(diffId);
        AddHistory(createdBy, emptyLayer: false, created);
    }

    /// <summary>The image config; <paramref name="created"/> is the image's creation time.</summary>
    public ImageConfig ToConfig(DateTimeOffset created) => new()
    {
        Created = created,
        Author = Author,
        Architecture = Architecture,
        Os = Os,
        Variant = Variant,
        Config = new ContainerConfig
        {
            User = User,
            ExposedPorts = ExposedPorts.Count > 0 ? new Dictionary<string, EmptyObject>(ExposedPorts) : null,
            Env = Env.Count > 0 ? EnvList() : null,
            Entrypoint = Entrypoint,
            Cmd = Cmd,
            Volumes = Volumes.Count > 0 ? new Dictionary<string, EmptyObject>(Volumes) : null,
            WorkingDir = WorkingDir,
            Labels = Labels.Count > 0 ? new Dictionary<string, string>(Labels) : null,
            StopSignal = StopSignal,
            Healthcheck = Healthcheck,
            OnBuild = OnBuild.Count > 0 ? OnBuild.ToList() : null,
            Shell = Shell,
            ArgsEscaped = ArgsEscaped,
        },
        RootFs = new RootFs { DiffIds = DiffIds.ToList() },
        History = History.ToList(),
    };
}
