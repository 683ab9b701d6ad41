// Owns: `gantry port CONTAINER [PRIVATE_PORT[/PROTO]]`.
using System.CommandLine;
using Gantry.Cli.Containers;
using Gantry.Runtime.State;

namespace Gantry.Cli.Commands;

internal static class PortCommand
{
    public static Command Create()
    {
        var command = new Command("port", "List port mappings or a specific mapping for the container");
        var container = new Argument<string>("container");
        var port = new Argument<string?>("private-port") { Arity = ArgumentArity.ZeroOrOne };
        command.Arguments.Add(container);
        command.Arguments.Add(port);
        command.SetAction(pr =>
        {
            var record = ContainerCli.Store(pr).Get(pr.GetValue(container)!);
            var ports = ContainerStore.IsRunning(record) ? record.Ports : [];
            var filter = pr.GetValue(port);
            var any = false;
            foreach (var p in ports)
            {
                var key = $"{p.ContainerPort}/{p.Protocol}";
                if (filter is not null && filter != key && filter != p.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    continue;
                }

                any = true;
                var host = $"{(p.HostIp.Length == 0 ? "0.0.0.0" : p.HostIp)}:{p.HostPort}";
                Console.Out.WriteLine(filter is null ? $"{key} -> {host}" : host);
            }

            if (filter is not null && !any)
            {
                throw new Gantry.Oci.GantryException($"No public port '{filter}' published for {pr.GetValue(container)}");
            }

            return 0;
        });
        return command;
    }
}
