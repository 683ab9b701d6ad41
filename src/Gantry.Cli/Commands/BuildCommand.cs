// Owns: `gantry build` / `gantry image build`: docker build's flags, mapped onto Gantry.Build's ImageBuilder.
using System.CommandLine;
using System.Runtime.InteropServices;
using Gantry.Build;
using Gantry.Cli.BuildSupport;
using Gantry.Oci;

namespace Gantry.Cli.Commands;

internal static class BuildCommand
{
    public static Command Create()
    {
        var command = new Command("build", "Build an image from a Dockerfile");
        var tags = new Option<string[]>("--tag", "-t") { Description = "Name and optionally a tag (format: \"name:tag\")", AllowMultipleArgumentsPerToken = false };
        var file = new Option<string?>("--file", "-f") { Description = "Name of the Dockerfile (default: \"PATH/Dockerfile\"; \"-\" reads it from stdin)" };
        var buildArgs = new Option<string[]>("--build-arg") { Description = "Set build-time variables (KEY=VALUE, or KEY to take it from the environment)" };
        var target = new Option<string?>("--target") { Description = "Set the target build stage to build" };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not use cache when building the image" };
        var pull = new Option<bool>("--pull") { Description = "Always attempt to pull a newer version of the base images" };
        var labels = new Option<string[]>("--label") { Description = "Set metadata for an image (KEY=VALUE)" };
        var platform = new Option<string?>("--platform") { Description = "Set target platform for build (e.g. linux/amd64)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the build output and print image ID on success" };
        var iidfile = new Option<string?>("--iidfile") { Description = "Write the image ID to the file" };
        var network = new Option<string?>("--network") { Description = "Set the networking mode for the RUN instructions during build (host, none)" };
        var progress = new Option<string?>("--progress") { Description = "Set type of progress output (auto, plain, tty, quiet)" };
        var secrets = new Option<string[]>("--secret") { Description = "Secret to expose to the build (format: \"id=mysecret,src=/local/secret\")" };
        var ssh = new Option<string[]>("--ssh") { Description = "SSH agent socket or keys to expose to the build (format: \"default|<id>[=<socket>|<key>[,<key>]]\")" };
        var compression = new Option<string?>("--compression") { Description = "Layer compression: gzip (default) or zstd" };
        var context = new Argument<string>("PATH | URL | -") { Description = "The build context: a directory, or - for a tar on stdin" };
        foreach (var o in new Option[] { tags, file, buildArgs, target, noCache, pull, labels, platform, quiet, iidfile, network, progress, secrets, ssh, compression })
        {
            command.Options.Add(o);
        }

        command.Arguments.Add(context);
        command.SetAction(async (parseResult, ct) =>
        {
            var root = CliStore.Root(parseResult);
            var contextArg = parseResult.GetValue(context)!;
            var fileArg = parseResult.GetValue(file);
            if (contextArg == "-" && fileArg == "-")
            {
                throw new GantryException("the context and the Dockerfile cannot both come from stdin; give a context directory or -f FILE");
            }

            if (contextArg.Contains("://", StringComparison.Ordinal) || contextArg.StartsWith("git@", StringComparison.Ordinal))
            {
                throw new GantryException($"build contexts from URLs ('{contextArg}') are not supported; clone or download it and pass the directory");
            }

            var networkMode = parseResult.GetValue(network) ?? "host";
            if (networkMode is "default")
            {
                networkMode = "host";
            }

            if (networkMode is not ("host" or "none"))
            {
                throw new GantryException($"--network={networkMode} is not supported for builds; use host (default) or none");
            }

            var compressionText = parseResult.GetValue(compression) ?? "gzip";
            var layerCompression = compressionText.ToLowerInvariant() switch
            {
                "gzip" => Compression.Gzip,
                "zstd" => Compression.Zstd,
                "none" or "uncompressed" => Compression.None,
                _ => throw new GantryException($"--compression={compressionText} is not known; use gzip or zstd"),
            };

            var quietMode = parseResult.GetValue(quiet) || parseResult.GetValue(progress) == "quiet";
            IBuildProgress reporter = quietMode
                ? NullBuildProgress.Instance
                : ProgressFactory.Create(parseResult.GetValue(progress));

            var options = new BuildOptions
            {
                StoreRoot = root,
                ContextDirectory = contextArg == "-" ? null : contextArg,
                ContextTar = contextArg == "-" ? Console.OpenStandardInput() : null,
                DockerfilePath = fileArg is null or "-" ? null : fileArg,
                DockerfileText = fileArg == "-" ? await Console.In.ReadToEndAsync(ct).ConfigureAwait(false) : null,
                Tags = parseResult.GetValue(tags) ?? [],
                BuildArgs = ParseKeyValues(parseResult.GetValue(buildArgs) ?? [], "--build-arg", allowBare: true),
                Target = parseResult.GetValue(target),
                NoCache = parseResult.GetValue(noCache),
                Pull = parseResult.GetValue(pull),
                Labels = ParseKeyValues(parseResult.GetValue(labels) ?? [], "--label", allowBare: true).ToDictionary(kv => kv.Key, kv => kv.Value ?? string.Empty),
                Platform = parseResult.GetValue(platform) is { Length: > 0 } p ? Platform.Parse(p) : null,
                Network = networkMode,
                Secrets = ParseSecrets(parseResult.GetValue(secrets) ?? []),
                Ssh = ParseSsh(parseResult.GetValue(ssh) ?? []),
                Compression = layerCompression,
                Progress = reporter,
                BaseImages = BaseImageProviders.Create(),
            };

            // Ctrl-C / SIGTERM cancel the build cooperatively (the RUN container is killed, mounts and tmp/ cleaned, nothing
            // tagged) and the process exits 130 once that is done; a second signal terminates at once.
            using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var signals = 0;
            void OnSignal(PosixSignalContext context)
            {
                if (Interlocked.Increment(ref signals) == 1)
                {
                    context.Cancel = true;
                    interrupted.Cancel();
                }
            }

            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            BuildResult result;
            try
            {
                result = await ImageBuilder.BuildAsync(options, interrupted.Token).ConfigureAwait(false);
            }
            finally
            {
                (reporter as IDisposable)?.Dispose();
            }

            if (parseResult.GetValue(iidfile) is { Length: > 0 } iid)
            {
                await File.WriteAllTextAsync(iid, result.ImageId.ToString(), ct).ConfigureAwait(false);
            }

            if (quietMode)
            {
                Console.Out.WriteLine(result.ImageId.ToString());
            }

            return 0;
        });
        return command;
    }

    private static Dictionary<string, string?> ParseKeyValues(string[] values, string flag, bool allowBare)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            var eq = v.IndexOf('=', StringComparison.Ordinal);
            if (eq == 0 || (eq < 0 && !allowBare))
            {
                throw new GantryException($"{flag} '{v}' is not KEY=VALUE");
            }

            result[eq < 0 ? v : v[..eq]] = eq < 0 ? null : v[(eq + 1)..];
        }

        return result;
    }

    /// <summary>docker's --ssh: <c>default</c>, <c>ID</c> (the caller's agent) or <c>ID=SOCKET|KEY[,KEY…]</c>.</summary>
    private static Dictionary<string, IReadOnlyList<string>> ParseSsh(string[] values)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            var eq = v.IndexOf('=', StringComparison.Ordinal);
            var id = eq < 0 ? v : v[..eq];
            if (id.Length == 0 || id.Contains(',', StringComparison.Ordinal))
            {
                throw new GantryException($"--ssh '{v}' is not ID or ID=PATH[,PATH]; write e.g. --ssh default or --ssh default=$HOME/.ssh/id_ed25519");
            }

            var paths = eq < 0 ? [] : v[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFullPath).ToArray();
            result[id] = paths;
        }

        return result;
    }

    private static Dictionary<string, string> ParseSecrets(string[] values)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            string? id = null, src = null, env = null;
            foreach (var part in v.Split(','))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                var key = eq < 0 ? part : part[..eq];
                var val = eq < 0 ? string.Empty : part[(eq + 1)..];
                switch (key)
                {
                    case "id": id = val; break;
                    case "src" or "source": src = val; break;
                    case "env": env = val; break;
                    case "type": break;
                    default: throw new GantryException($"--secret '{v}': unknown field '{key}'; use id=NAME,src=FILE");
                }
            }

            if (string.IsNullOrEmpty(id))
            {
                throw new GantryException($"--secret '{v}' needs id=NAME");
            }

            if (src is null && env is not null)
            {
                var value = Environment.GetEnvironmentVariable(env) ?? throw new GantryException($"--secret {id}: environment variable {env} is not set");
                src = Path.Combine(Path.GetTempPath(), "gantry-secret-" + Guid.NewGuid().ToString("N"));
                File.WriteAllText(src, value);
            }

            result[id] = Path.GetFullPath(src ?? id);
        }

        return result;
    }
}
