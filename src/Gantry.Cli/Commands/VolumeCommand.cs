// Owns: `gantry volume create|ls|inspect|rm`.
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gantry.Cli.Containers;
using Gantry.Cli.Output;

namespace Gantry.Cli.Commands;

internal static class VolumeCommand
{
    public static Command Create()
    {
        var command = new Command("volume", "Manage volumes");

        var create = new Command("create", "Create a volume");
        var createName = new Argument<string?>("name") { Arity = ArgumentArity.ZeroOrOne };
        create.Arguments.Add(createName);
        create.SetAction(pr =>
        {
            var v = ContainerCli.Volumes(pr).Create(pr.GetValue(createName) ?? Gantry.Runtime.ContainerRunner.NewId());
            Console.Out.WriteLine(v.Name);
            return 0;
        });
        command.Subcommands.Add(create);

        var ls = new Command("ls", "List volumes");
        ls.Aliases.Add("list");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display volume names" };
        var format = new Option<string?>("--format") { Description = "Format output using a Go template" };
        ls.Options.Add(quiet);
        ls.Options.Add(format);
        ls.SetAction(pr =>
        {
            var vols = ContainerCli.Volumes(pr).List();
            if (pr.GetValue(quiet))
            {
                vols.ForEach(v => Console.Out.WriteLine(v.Name));
                return 0;
            }

            var rows = vols.Select(v => new JsonObject { ["Driver"] = v.Driver, ["Name"] = v.Name, ["Mountpoint"] = v.Mountpoint });
            Console.Out.Write(OutputFormat.Render(pr.GetValue(format), "table {{.Driver}}\t{{.Name}}", new Dictionary<string, string> { ["Driver"] = "DRIVER", ["Name"] = "VOLUME NAME", ["Mountpoint"] = "MOUNTPOINT" }, rows));
            return 0;
        });
        command.Subcommands.Add(ls);

        var inspect = new Command("inspect", "Display detailed information on one or more volumes");
        var inspectNames = new Argument<string[]>("volume") { Arity = ArgumentArity.OneOrMore };
        var inspectFormat = new Option<string?>("--format", "-f") { Description = "Format output using a Go template" };
        inspect.Arguments.Add(inspectNames);
        inspect.Options.Add(inspectFormat);
        inspect.SetAction(pr =>
        {
            var store = ContainerCli.Volumes(pr);
            var arr = new JsonArray();
            foreach (var n in pr.GetValue(inspectNames)!)
            {
                var v = store.Get(n);
                var labels = new JsonObject();
                foreach (var (k, val) in v.Labels)
                {
                    labels[k] = val;
                }

                var node = new JsonObject
                {
                    ["CreatedAt"] = HumanUnits.Rfc3339(v.CreatedAt),
                    ["Driver"] = v.Driver,
                    ["Labels"] = labels,
                    ["Mountpoint"] = v.Mountpoint,
                    ["Name"] = v.Name,
                    ["Options"] = new JsonObject(),
                    ["Scope"] = "local",
                };
                if (pr.GetValue(inspectFormat) is { Length: > 0 } f)
                {
                    Console.Out.WriteLine(OutputFormat.RenderOne(f, node));
                }
                else
                {
                    arr.Add((JsonNode)node);
                }
            }

            if (pr.GetValue(inspectFormat) is not { Length: > 0 })
            {
                using var buffer = new MemoryStream();
                using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, IndentSize = 4 }))
                {
                    arr.WriteTo(writer);
                }

                Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            }

            return 0;
        });
        command.Subcommands.Add(inspect);

        var rm = new Command("rm", "Remove one or more volumes");
        rm.Aliases.Add("remove");
        var rmNames = new Argument<string[]>("volume") { Arity = ArgumentArity.OneOrMore };
        var rmForce = new Option<bool>("--force", "-f") { Description = "Force the removal of one or more volumes" };
        rm.Arguments.Add(rmNames);
        rm.Options.Add(rmForce);
        rm.SetAction(pr =>
        {
            var store = ContainerCli.Volumes(pr);
            var containers = ContainerCli.Store(pr).List();
            foreach (var n in pr.GetValue(rmNames)!)
            {
                var user = containers.FirstOrDefault(c => c.Spec.Mounts.Any(m => m.VolumeName == n));
                if (user is not null)
                {
                    throw new Gantry.Oci.GantryException($"remove {n}: volume is in use - [{user.Id}]: remove the container first");
                }

                store.Remove(n);
                Console.Out.WriteLine(n);
            }

            return 0;
        });
        command.Subcommands.Add(rm);
        return command;
    }
}
