// Owns: `gantry inspect [--format] [--type] NAME...`: docker-compatible container JSON, falling back to image inspect.
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gantry.Cli.Containers;
using Gantry.Cli.Output;
using Gantry.Oci;
using Gantry.Runtime;
using Gantry.Runtime.State;

namespace Gantry.Cli.Commands;

internal static class InspectCommand
{
    public static Command Create(string name = "inspect", bool containersOnly = false)
    {
        var command = new Command(name, containersOnly ? "Display detailed information on one or more containers" : "Return low-level information on containers or images");
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a Go template" };
        var type = new Option<string?>("--type") { Description = "Return JSON for specified type (container or image)" };
        var names = new Argument<string[]>("name") { Arity = ArgumentArity.OneOrMore };
        command.Options.Add(format);
        if (!containersOnly)
        {
            command.Options.Add(type);
        }

        command.Arguments.Add(names);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            var results = new List<JsonNode?>();
            var failed = false;
            var kind = containersOnly ? "container" : pr.GetValue(type);
            foreach (var n in pr.GetValue(names)!)
            {
                var record = kind is null or "container" ? store.TryGet(n) : null;
                if (record is not null)
                {
                    results.Add(ContainerJson(store, record));
                    continue;
                }

                if (kind is null or "image")
                {
                    var images = CliStore.Open(pr);
                    var image = await images.TryResolveAsync(n, ct).ConfigureAwait(false);
                    if (image is not null)
                    {
                        var node = ImageInspectCommand.ToJson(image, await images.GetImageSizeAsync(image, ct).ConfigureAwait(false));
                        results.Add(node);
                        continue;
                    }
                }

                Console.Error.WriteLine($"Error: No such object: {n}");
                failed = true;
            }

            var fmt = pr.GetValue(format);
            if (!string.IsNullOrEmpty(fmt))
            {
                foreach (var r in results)
                {
                    Console.Out.WriteLine(OutputFormat.RenderOne(fmt, r));
                }
            }
            else
            {
                var arr = new JsonArray([.. results.Select(r => r?.DeepClone())]);
                using var buffer = new MemoryStream();
                using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, IndentSize = 4 }))
                {
                    arr.WriteTo(writer);
                }

                Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            }

            return failed ? 1 : 0;
        });
        return command;
    }

    private static JsonArray Strings(IEnumerable<string>? values) => new([.. (values ?? []).Select(v => (JsonNode?)JsonValue.Create(v))]);

    internal static JsonObject ContainerJson(ContainerStore store, ContainerRecord c)
    {
        var running = ContainerStore.IsRunning(c);
        var ports = new JsonObject();
        foreach (var g in c.Spec.Ports.GroupBy(p => $"{p.ContainerPort}/{p.Protocol}"))
        {
            ports[g.Key] = new JsonArray([.. (running ? c.Ports : c.Spec.Ports).Where(p => $"{p.ContainerPort}/{p.Protocol}" == g.Key)
                .Select(p => (JsonNode?)new JsonObject { ["HostIp"] = p.HostIp.Length == 0 ? "0.0.0.0" : p.HostIp, ["HostPort"] = p.HostPort.ToString(System.Globalization.CultureInfo.InvariantCulture) })]);
        }

        var labels = new JsonObject();
        foreach (var (k, v) in c.Labels)
        {
            labels[k] = v;
        }

        return new JsonObject
        {
            ["Id"] = c.Id,
            ["Created"] = HumanUnits.Rfc3339(c.Created),
            ["Path"] = c.Spec.Args.FirstOrDefault() ?? "",
            ["Args"] = Strings(c.Spec.Args.Skip(1)),
            ["State"] = new JsonObject
            {
                ["Status"] = ContainerCli.StateName(c),
                ["Running"] = running,
                ["Paused"] = false,
                ["Restarting"] = running && c.State.Status == "restarting",
                ["OOMKilled"] = c.State.OomKilled,
                ["Dead"] = false,
                ["Pid"] = running ? c.State.Pid : 0,
                ["ExitCode"] = c.State.ExitCode,
                ["Error"] = c.State.Error,
                ["StartedAt"] = c.State.StartedAt == default ? "0001-01-01T00:00:00Z" : HumanUnits.Rfc3339(c.State.StartedAt),
                ["FinishedAt"] = c.State.FinishedAt == default ? "0001-01-01T00:00:00Z" : HumanUnits.Rfc3339(c.State.FinishedAt),
            },
            ["Image"] = c.ImageId,
            ["ResolvConfPath"] = Path.Combine(store.BundleDir(c.Id), "etc", "resolv.conf"),
            ["HostnamePath"] = Path.Combine(store.BundleDir(c.Id), "etc", "hostname"),
            ["HostsPath"] = Path.Combine(store.BundleDir(c.Id), "etc", "hosts"),
            ["LogPath"] = store.LogPath(c.Id),
            ["Name"] = "/" + c.Name,
            ["RestartCount"] = c.RestartCount,
            ["Driver"] = "overlay2",
            ["Platform"] = "linux",
            ["HostConfig"] = new JsonObject
            {
                ["NetworkMode"] = c.Spec.Network.ToString().ToLowerInvariant(),
                ["AutoRemove"] = c.AutoRemove,
                ["Privileged"] = c.Spec.Privileged,
                ["ReadonlyRootfs"] = c.Spec.ReadOnlyRootfs,
                ["Memory"] = c.Spec.MemoryBytes,
                ["NanoCpus"] = (long)(c.Spec.Cpus * 1e9),
                ["PidsLimit"] = c.Spec.PidsLimit,
                ["CapAdd"] = Strings(c.Spec.CapAdd),
                ["CapDrop"] = Strings(c.Spec.CapDrop),
                ["Dns"] = Strings(c.Spec.Dns),
                ["ExtraHosts"] = Strings(c.Spec.ExtraHosts.Select(h => h.Key + ":" + h.Value)),
                ["Init"] = c.Spec.Init,
                ["Runtime"] = c.Runtime,
                ["RestartPolicy"] = new JsonObject { ["Name"] = c.RestartPolicy, ["MaximumRetryCount"] = c.RestartMaxRetries },
                ["Binds"] = Strings(c.Spec.Mounts.Where(m => m.Kind == MountKind.Bind).Select(m => m.Source + ":" + m.Target + (m.ReadOnly ? ":ro" : ""))),
            },
            ["Mounts"] = new JsonArray([.. c.Spec.Mounts.Select(m => (JsonNode?)new JsonObject
            {
                ["Type"] = m.Kind.ToString().ToLowerInvariant(),
                ["Name"] = m.VolumeName,
                ["Source"] = m.Source,
                ["Destination"] = m.Target,
                ["Mode"] = m.ReadOnly ? "ro" : "",
                ["RW"] = !m.ReadOnly,
                ["Propagation"] = m.Kind == MountKind.Bind ? "rprivate" : "",
            })]),
            ["Config"] = new JsonObject
            {
                ["Hostname"] = c.Spec.Hostname,
                ["User"] = c.Spec.User ?? "",
                ["Tty"] = c.Spec.Terminal,
                ["OpenStdin"] = c.OpenStdin,
                ["StdinOnce"] = c.StdinOnce,
                ["Env"] = Strings(c.Spec.Env),
                ["Cmd"] = c.Cmd is null ? null : Strings(c.Cmd),
                ["Image"] = c.Image,
                ["WorkingDir"] = c.Spec.WorkingDir,
                ["Entrypoint"] = c.Entrypoint is null ? null : Strings(c.Entrypoint),
                ["Labels"] = labels,
                ["StopSignal"] = c.StopSignal,
                ["StopTimeout"] = c.StopTimeout,
            },
            ["NetworkSettings"] = new JsonObject
            {
                ["Ports"] = ports,
                ["IPAddress"] = running ? c.IpAddress ?? "" : "",
                ["Gateway"] = running && c.IpAddress is not null ? Gantry.Runtime.Network.BridgeNetwork.Gateway : "",
                ["IPPrefixLen"] = running && c.IpAddress is not null ? 24 : 0,
                ["Networks"] = new JsonObject
                {
                    [c.Spec.Network.ToString().ToLowerInvariant()] = new JsonObject
                    {
                        ["IPAddress"] = running ? c.IpAddress ?? "" : "",
                        ["Gateway"] = running && c.IpAddress is not null ? Gantry.Runtime.Network.BridgeNetwork.Gateway : "",
                    },
                },
            },
        };
    }
}
