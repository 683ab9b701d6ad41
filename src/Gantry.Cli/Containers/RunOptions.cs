// Owns: the options `gantry run` and `gantry create` share, and turning them plus the image into a stored container.
using System.CommandLine;
using System.Globalization;
using Gantry.Content;
using Gantry.Oci;
using Gantry.Runtime;
using Gantry.Runtime.State;

namespace Gantry.Cli.Containers;

internal sealed class RunOptions
{
    public Option<bool> Interactive { get; } = new("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
    public Option<bool> Tty { get; } = new("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
    public Option<string?> Name { get; } = new("--name") { Description = "Assign a name to the container" };
    public Option<string[]> Env { get; } = new("--env", "-e") { Description = "Set environment variables", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> EnvFile { get; } = new("--env-file") { Description = "Read in a file of environment variables" };
    public Option<string?> Workdir { get; } = new("--workdir", "-w") { Description = "Working directory inside the container" };
    public Option<string?> User { get; } = new("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])" };
    public Option<string?> Entrypoint { get; } = new("--entrypoint") { Description = "Overwrite the default ENTRYPOINT of the image" };
    public Option<string[]> Volume { get; } = new("--volume", "-v") { Description = "Bind mount a volume (HOST:CTR[:ro] or NAME:CTR[:ro])" };
    public Option<string[]> Mount { get; } = new("--mount") { Description = "Attach a filesystem mount (type=bind|volume|tmpfs,source=…,target=…[,readonly])" };
    public Option<string[]> Tmpfs { get; } = new("--tmpfs") { Description = "Mount a tmpfs directory" };
    public Option<string?> Network { get; } = new("--network", "--net") { Description = "Connect a container to a network (bridge, host, none)" };
    public Option<string[]> Publish { get; } = new("--publish", "-p") { Description = "Publish a container's port(s) to the host" };
    public Option<string?> Hostname { get; } = new("--hostname") { Description = "Container host name" };
    public Option<string[]> AddHost { get; } = new("--add-host") { Description = "Add a custom host-to-IP mapping (host:ip)" };
    public Option<string[]> Dns { get; } = new("--dns") { Description = "Set custom DNS servers" };
    public Option<bool> ReadOnly { get; } = new("--read-only") { Description = "Mount the container's root filesystem as read only" };
    public Option<string?> Memory { get; } = new("--memory", "-m") { Description = "Memory limit" };
    public Option<string?> Cpus { get; } = new("--cpus") { Description = "Number of CPUs" };
    public Option<long?> PidsLimit { get; } = new("--pids-limit") { Description = "Tune container pids limit (-1 for unlimited)" };
    public Option<string[]> Ulimit { get; } = new("--ulimit") { Description = "Ulimit options (name=soft[:hard])" };
    public Option<string[]> CapAdd { get; } = new("--cap-add") { Description = "Add Linux capabilities" };
    public Option<string[]> CapDrop { get; } = new("--cap-drop") { Description = "Drop Linux capabilities" };
    public Option<bool> Privileged { get; } = new("--privileged") { Description = "Give extended privileges to this container" };
    public Option<bool> Init { get; } = new("--init") { Description = "Run an init inside the container that forwards signals and reaps processes" };
    public Option<string?> Restart { get; } = new("--restart") { Description = "Restart policy to apply when a container exits (no, always, unless-stopped, on-failure[:max-retries])" };
    public Option<string[]> Label { get; } = new("--label", "-l") { Description = "Set meta data on a container" };
    public Option<string> Pull { get; } = new("--pull") { Description = "Pull image before running (always, missing, never)", DefaultValueFactory = _ => "missing" };
    public Option<string?> StopSignal { get; } = new("--stop-signal") { Description = "Signal to stop the container" };
    public Option<int?> StopTimeout { get; } = new("--stop-timeout") { Description = "Timeout (in seconds) to stop a container" };
    public Option<string?> Runtime { get; } = new("--runtime") { Description = "OCI runtime to use (crun or runc)" };
    public Option<bool> Rm { get; } = new("--rm") { Description = "Automatically remove the container and its associated anonymous volumes when it exits" };
    public Option<string?> Platform { get; } = new("--platform") { Description = "Set platform if server is multi-platform capable" };
    public Argument<string> Image { get; } = new("image") { Description = "The image to run" };
    public Argument<string[]> Command { get; } = new("command") { Description = "The command and its arguments", Arity = ArgumentArity.ZeroOrMore };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[]
        {
            Interactive, Tty, Name, Env, EnvFile, Workdir, User, Entrypoint, Volume, Mount, Tmpfs, Network, Publish, Hostname, AddHost, Dns,
            ReadOnly, Memory, Cpus, PidsLimit, Ulimit, CapAdd, CapDrop, Privileged, Init, Restart, Label, Pull, StopSignal, StopTimeout,
            Runtime, Rm, Platform,
        })
        {
            command.Options.Add(o);
        }

        command.Arguments.Add(Image);
        command.Arguments.Add(Command);
    }

    /// <summary>Resolves the image, validates every option, prepares the snapshot and stores the container (status created).</summary>
    /// <param name="pr">The parsed command line.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="detach">True for `run -d`: stdin, when kept open (-i), stays open across attaches (docker's StdinOnce is false).</param>
    public async Task<ContainerRecord> CreateContainerAsync(ParseResult pr, CancellationToken ct, bool detach = false)
    {
        var root = CliStore.Root(pr);
        var store = ContainerCli.Store(pr);
        var images = CliStore.Open(pr);
        var imageName = pr.GetValue(Image)!;
        var name = pr.GetValue(Name);
        if (!string.IsNullOrEmpty(name))
        {
            ContainerStore.ValidateName(name);
            var clash = store.TryGet(name);
            if (clash is not null && clash.Name == name)
            {
                throw new GantryException($"Conflict. The container name \"/{name}\" is already in use by container \"{clash.Id}\". You have to remove (or rename) that container to be able to reuse that name.") { ExitCode = 125 };
            }
        }

        var restart = Gantry.Runtime.Monitor.RestartPolicy.Parse(pr.GetValue(Restart));
        if (!restart.IsNo && pr.GetValue(Rm))
        {
            throw new GantryException("Conflicting options: --restart and --rm: a container removed when it exits cannot be restarted; drop one of them") { ExitCode = 125 };
        }

        var runtime = ContainerCli.Runtime(pr.GetValue(Runtime));
        var image = await ImageRootfs.ResolveAsync(images, imageName, pr.GetValue(Pull) ?? "missing", ct).ConfigureAwait(false);
        var cfg = image.Config.Config ?? new ContainerConfig();
        var id = ContainerRunner.NewId();

        // CMD / ENTRYPOINT as docker combines them
        var cmdArgs = pr.GetValue(Command) ?? [];
        var entrypointFlag = pr.GetResult(Entrypoint) is not null ? pr.GetValue(Entrypoint) ?? "" : null;
        List<string>? entrypoint = entrypointFlag is null ? cfg.Entrypoint?.ToList() : entrypointFlag.Length == 0 ? null : [entrypointFlag];
        List<string>? cmd = cmdArgs.Length > 0 ? [.. cmdArgs] : entrypointFlag is not null ? null : cfg.Cmd?.ToList();
        var args = new List<string>();
        args.AddRange(entrypoint ?? []);
        args.AddRange(cmd ?? []);
        if (args.Count == 0)
        {
            throw new GantryException("no command specified: give a command after the image name") { ExitCode = 125 };
        }

        var env = new List<string>(cfg.Env ?? []);
        foreach (var file in pr.GetValue(EnvFile) ?? [])
        {
            if (!File.Exists(file))
            {
                throw new GantryException($"open {file}: no such file or directory (check the --env-file path)") { ExitCode = 125 };
            }

            foreach (var line in File.ReadAllLines(file))
            {
                var t = line.Trim();
                if (t.Length == 0 || t.StartsWith('#'))
                {
                    continue;
                }

                env.Add(ExpandEnv(t));
            }
        }

        foreach (var e in pr.GetValue(Env) ?? [])
        {
            env.Add(ExpandEnv(e));
        }

        var network = (pr.GetValue(Network) ?? "bridge").ToLowerInvariant() switch
        {
            "bridge" or "default" => NetworkMode.Bridge,
            "host" => NetworkMode.Host,
            "none" => NetworkMode.None,
            var other => throw new GantryException($"network {other} not found: use bridge, host or none") { ExitCode = 125 },
        };

        var ports = (pr.GetValue(Publish) ?? []).Select(PortMapping.Parse).ToList();
        var mounts = ParseMounts(pr, ContainerCli.Volumes(pr));
        var labels = new Dictionary<string, string>(cfg.Labels ?? new Dictionary<string, string>());
        foreach (var l in pr.GetValue(Label) ?? [])
        {
            var kv = l.Split('=', 2);
            labels[kv[0]] = kv.Length > 1 ? kv[1] : "";
        }

        var spec = new RunSpec
        {
            RootfsPath = store.RootfsDir(id),
            Args = args,
            Env = env,
            WorkingDir = pr.GetValue(Workdir) ?? (string.IsNullOrEmpty(cfg.WorkingDir) ? "/" : cfg.WorkingDir),
            User = pr.GetValue(User) ?? cfg.User,
            Hostname = pr.GetValue(Hostname) ?? id[..12],
            Network = network,
            Mounts = mounts,
            Terminal = pr.GetValue(Tty),
            ReadOnlyRootfs = pr.GetValue(ReadOnly),
            Privileged = pr.GetValue(Privileged),
            CapAdd = pr.GetValue(CapAdd) ?? [],
            CapDrop = pr.GetValue(CapDrop) ?? [],
            MemoryBytes = ParseBytes(pr.GetValue(Memory)),
            Cpus = ParseCpus(pr.GetValue(Cpus)),
            PidsLimit = Math.Max(0, pr.GetValue(PidsLimit) ?? 0),
            Ulimits = (pr.GetValue(Ulimit) ?? []).Select(ParseUlimit).ToList(),
            ExtraHosts = (pr.GetValue(AddHost) ?? []).Select(ParseHost).ToList(),
            Dns = pr.GetValue(Dns) ?? [],
            Init = pr.GetValue(Init),
            Ports = ports,
        };

        if (spec.Ports.Count > 0 && network != NetworkMode.Bridge)
        {
            throw new GantryException("published ports are discarded when using host network mode: drop -p or use --network bridge") { ExitCode = 125 };
        }

        var stopSignal = pr.GetValue(StopSignal) ?? cfg.StopSignal ?? "SIGTERM";
        Signals.Parse(stopSignal);
        var record = new ContainerRecord
        {
            Id = id,
            Name = name ?? "",
            Created = DateTimeOffset.UtcNow,
            Image = imageName,
            ImageId = image.Id.ToString(),
            Spec = spec,
            Entrypoint = entrypoint,
            Cmd = cmd,
            AutoRemove = pr.GetValue(Rm),
            OpenStdin = pr.GetValue(Interactive),
            StdinOnce = pr.GetValue(Interactive) && !detach,
            RestartPolicy = restart.Name,
            RestartMaxRetries = restart.MaximumRetryCount,
            StopSignal = stopSignal,
            StopTimeout = pr.GetValue(StopTimeout) ?? 10,
            Labels = labels,
            Runtime = runtime.Name,
            SnapshotKey = "ctr-" + id,
        };

        record.RootfsMount = await ImageRootfs.PrepareAsync(root, images, image, id, ct).ConfigureAwait(false);
        try
        {
            store.Create(record);
            store.MountRootfs(record);
            try
            {
                // Validate what needs the rootfs (user, command) now, so a bad run leaves nothing behind.
                _ = UserResolver.Resolve(spec.RootfsPath, spec.User);
            }
            finally
            {
                store.UnmountRootfs(record);
            }
        }
        catch
        {
            await ContainerCli.Monitor(store, runtime).RemoveAsync(record, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return record;
    }

    private static string ExpandEnv(string e) =>
        e.Contains('=', StringComparison.Ordinal) ? e : Environment.GetEnvironmentVariable(e) is { } v ? e + "=" + v : e;

    private List<MountSpec> ParseMounts(ParseResult pr, Gantry.Runtime.Volumes.VolumeStore volumes)
    {
        var list = new List<MountSpec>();
        foreach (var v in pr.GetValue(Volume) ?? [])
        {
            var parts = v.Split(':');
            if (parts.Length < 2 || parts.Length > 3)
            {
                throw new GantryException($"invalid volume specification '{v}': use HOST_PATH:CONTAINER_PATH[:ro] or VOLUME:CONTAINER_PATH[:ro]") { ExitCode = 125 };
            }

            var ro = parts.Length == 3 && parts[2].Split(',').Contains("ro");
            list.Add(SourceMount(parts[0], parts[1], ro, volumes, v));
        }

        foreach (var m in pr.GetValue(Mount) ?? [])
        {
            string type = "volume", source = "", target = "";
            var ro = false;
            var tmpfsOptions = new List<string>();
            foreach (var field in m.Split(','))
            {
                var kv = field.Split('=', 2);
                var key = kv[0].Trim().ToLowerInvariant();
                var value = kv.Length > 1 ? kv[1] : "";
                switch (key)
                {
                    case "type": type = value; break;
                    case "source" or "src": source = value; break;
                    case "target" or "destination" or "dst": target = value; break;
                    case "readonly" or "ro": ro = value is "" or "true" or "1"; break;
                    case "tmpfs-size": tmpfsOptions.Add("size=" + value); break;
                    case "tmpfs-mode": tmpfsOptions.Add("mode=" + value); break;
                    default: break;
                }
            }

            if (target.Length == 0)
            {
                throw new GantryException($"invalid mount '{m}': target is required") { ExitCode = 125 };
            }

            list.Add(type switch
            {
                "tmpfs" => new MountSpec { Kind = MountKind.Tmpfs, Target = target, ReadOnly = ro, Options = tmpfsOptions },
                "bind" => new MountSpec { Kind = MountKind.Bind, Source = Path.GetFullPath(source), Target = target, ReadOnly = ro },
                "volume" => SourceMount(source.Length == 0 ? ContainerRunner.NewId() : source, target, ro, volumes, m),
                _ => throw new GantryException($"invalid mount type '{type}' in '{m}': use bind, volume or tmpfs") { ExitCode = 125 },
            });
        }

        foreach (var t in pr.GetValue(Tmpfs) ?? [])
        {
            var parts = t.Split(':', 2);
            list.Add(new MountSpec { Kind = MountKind.Tmpfs, Target = parts[0], Options = parts.Length > 1 ? parts[1].Split(',') : [] });
        }

        return list;
    }

    private static MountSpec SourceMount(string source, string target, bool ro, Gantry.Runtime.Volumes.VolumeStore volumes, string text)
    {
        if (!target.StartsWith('/'))
        {
            throw new GantryException($"invalid mount '{text}': the container path '{target}' must be absolute") { ExitCode = 125 };
        }

        if (source.StartsWith('/') || source.StartsWith('.') || source.StartsWith('~'))
        {
            var full = Path.GetFullPath(source.StartsWith('~') ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + source[1..] : source);
            if (!Path.Exists(full))
            {
                throw new GantryException($"invalid mount config for type \"bind\": bind source path does not exist: {full}") { ExitCode = 125 };
            }

            return new MountSpec { Kind = MountKind.Bind, Source = full, Target = target, ReadOnly = ro };
        }

        var volume = volumes.Create(source);
        return new MountSpec { Kind = MountKind.Volume, Source = volume.Mountpoint, Target = target, ReadOnly = ro, VolumeName = volume.Name };
    }

    private static long ParseBytes(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        var t = text.Trim().ToLowerInvariant().TrimEnd('b');
        long mult = 1;
        if (t.Length > 0 && "kmgt".Contains(t[^1], StringComparison.Ordinal))
        {
            mult = t[^1] switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, _ => 1L << 40 };
            t = t[..^1];
        }

        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0
            ? (long)(v * mult)
            : throw new GantryException($"invalid size: '{text}' (use e.g. 512m or 1g)") { ExitCode = 125 };
    }

    private static double ParseCpus(string? text) =>
        string.IsNullOrEmpty(text) ? 0 : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0
            ? v
            : throw new GantryException($"invalid argument \"{text}\" for \"--cpus\" flag: use a number such as 1.5") { ExitCode = 125 };

    private static Ulimit ParseUlimit(string text)
    {
        var kv = text.Split('=', 2);
        if (kv.Length != 2)
        {
            throw new GantryException($"invalid ulimit argument: {text} (use name=soft[:hard])") { ExitCode = 125 };
        }

        var limits = kv[1].Split(':');
        static long P(string s, string text) => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new GantryException($"invalid ulimit argument: {text} (limits must be numbers)") { ExitCode = 125 };
        var soft = P(limits[0], text);
        var hard = limits.Length > 1 ? P(limits[1], text) : soft;
        return new Ulimit(kv[0], soft, hard);
    }

    private static KeyValuePair<string, string> ParseHost(string text)
    {
        var i = text.IndexOfAny([':', '=']);
        if (i <= 0)
        {
            throw new GantryException($"invalid argument \"{text}\" for \"--add-host\" flag: use host:ip") { ExitCode = 125 };
        }

        var ip = text[(i + 1)..];
        if (ip == "host-gateway")
        {
            ip = Gantry.Runtime.Network.BridgeNetwork.Gateway;
        }

        return new(text[..i], ip);
    }
}
