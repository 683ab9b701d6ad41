// Owns: `gantry ps [-a] [-q] [--filter] [--format] [--no-trunc]` with docker's columns.
using System.CommandLine;
using System.Text.Json.Nodes;
using Gantry.Cli.Containers;
using Gantry.Cli.Output;
using Gantry.Runtime.State;

namespace Gantry.Cli.Commands;

internal static class PsCommand
{
    public static Command Create(string name = "ps")
    {
        var command = new Command(name, "List containers");
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display container IDs" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "Filter output based on conditions provided" };
        var format = new Option<string?>("--format") { Description = "Format output using a Go template, or json" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var latest = new Option<bool>("--latest", "-l") { Description = "Show the latest created container" };
        command.Options.Add(all);
        command.Options.Add(quiet);
        command.Options.Add(filter);
        command.Options.Add(format);
        command.Options.Add(noTrunc);
        command.Options.Add(latest);
        command.SetAction(pr =>
        {
            var store = ContainerCli.Store(pr);
            IEnumerable<ContainerRecord> list = store.List();
            if (!pr.GetValue(all))
            {
                list = list.Where(ContainerStore.IsRunning);
            }

            foreach (var f in pr.GetValue(filter) ?? [])
            {
                var kv = f.Split('=', 2);
                var value = kv.Length > 1 ? kv[1] : "";
                list = kv[0] switch
                {
                    "name" => list.Where(c => c.Name.Contains(value, StringComparison.Ordinal)),
                    "id" => list.Where(c => c.Id.StartsWith(value, StringComparison.Ordinal)),
                    "status" => list.Where(c => ContainerCli.StateName(c) == value),
                    "ancestor" => list.Where(c => c.Image == value || c.ImageId.Contains(value, StringComparison.Ordinal)),
                    "exited" => list.Where(c => ContainerCli.StateName(c) == "exited" && c.State.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) == value),
                    "label" => list.Where(c => value.Split('=', 2) is var l && c.Labels.TryGetValue(l[0], out var lv) && (l.Length == 1 || lv == l[1])),
                    _ => throw new Gantry.Oci.GantryException($"invalid filter '{kv[0]}': use name, id, status, ancestor, exited or label"),
                };
            }

            if (pr.GetValue(latest))
            {
                list = list.Take(1);
            }

            var rows = list.ToList();
            var trunc = !pr.GetValue(noTrunc);
            if (pr.GetValue(quiet))
            {
                foreach (var c in rows)
                {
                    Console.Out.WriteLine(trunc ? c.ShortId : c.Id);
                }

                return 0;
            }

            var json = rows.Select(c =>
            {
                var cmd = "\"" + ContainerCli.CommandText(c) + "\"";
                if (trunc && cmd.Length > 22)
                {
                    cmd = cmd[..19] + "…\"";
                }

                return new JsonObject
                {
                    ["ID"] = trunc ? c.ShortId : c.Id,
                    ["Image"] = c.Image,
                    ["Command"] = cmd,
                    ["CreatedAt"] = HumanUnits.GoTime(c.Created),
                    ["RunningFor"] = HumanUnits.Ago(c.Created),
                    ["Ports"] = ContainerStore.IsRunning(c) ? string.Join(", ", c.Ports.Select(p => p.ToString())) : "",
                    ["State"] = ContainerCli.StateName(c),
                    ["Status"] = ContainerCli.Status(c),
                    ["Names"] = c.Name,
                    ["Labels"] = string.Join(",", c.Labels.Select(kv => kv.Key + "=" + kv.Value)),
                    ["Mounts"] = string.Join(",", c.Spec.Mounts.Select(m => m.VolumeName ?? m.Source)),
                    ["Networks"] = c.Spec.Network.ToString().ToLowerInvariant(),
                    ["Size"] = "0B",
                };
            });
            var headers = new Dictionary<string, string>
            {
                ["ID"] = "CONTAINER ID", ["Image"] = "IMAGE", ["Command"] = "COMMAND", ["CreatedAt"] = "CREATED AT", ["RunningFor"] = "CREATED",
                ["Ports"] = "PORTS", ["State"] = "STATE", ["Status"] = "STATUS", ["Names"] = "NAMES", ["Labels"] = "LABELS", ["Mounts"] = "MOUNTS",
                ["Networks"] = "NETWORKS", ["Size"] = "SIZE",
            };
            Console.Out.Write(OutputFormat.Render(pr.GetValue(format), "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}", headers, json));
            return 0;
        });
        return command;
    }
}
