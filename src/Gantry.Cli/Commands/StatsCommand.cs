// Owns: `gantry stats [-a] [--no-stream] [--no-trunc] [--format] [CONTAINER…]` (and `container stats`) with docker's columns.
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Gantry.Cli.Containers;
using Gantry.Cli.Output;
using Gantry.Runtime.State;
using Gantry.Runtime.Stats;

namespace Gantry.Cli.Commands;

internal static class StatsCommand
{
    private const string DefaultTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

    private static readonly Dictionary<string, string> Headers = new()
    {
        ["Container"] = "CONTAINER", ["ID"] = "CONTAINER ID", ["Name"] = "NAME", ["CPUPerc"] = "CPU %", ["MemUsage"] = "MEM USAGE / LIMIT",
        ["MemPerc"] = "MEM %", ["NetIO"] = "NET I/O", ["BlockIO"] = "BLOCK I/O", ["PIDs"] = "PIDS",
    };

    public static Command Create()
    {
        var command = new Command("stats", "Display a live stream of container(s) resource usage statistics");
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
        var noStream = new Option<bool>("--no-stream") { Description = "Disable streaming stats and only pull the first result" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate output" };
        var format = new Option<string?>("--format") { Description = "Format output using a Go template, or json" };
        var containers = new Argument<string[]>("container") { Arity = ArgumentArity.ZeroOrMore };
        command.Options.Add(all);
        command.Options.Add(noStream);
        command.Options.Add(noTrunc);
        command.Options.Add(format);
        command.Arguments.Add(containers);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            var named = pr.GetValue(containers) ?? [];
            var trunc = !pr.GetValue(noTrunc);
            var stream = !pr.GetValue(noStream);
            var fixedRecords = named.Select(n => (Given: n, Record: store.Get(n))).ToList();
            var previous = new Dictionary<string, StatsSample>();

            List<(string Given, ContainerRecord Record)> Current() => named.Length > 0
                ? fixedRecords.Select(f => (f.Given, store.TryGet(f.Record.Id) ?? f.Record)).ToList()
                : store.List().Where(c => pr.GetValue(all) || ContainerStore.IsRunning(c)).Select(c => (c.Name, c)).ToList();

            // a first reading so that CPU % has a delta (docker's one-shot stats wait for a second sample too)
            foreach (var (_, r) in Current())
            {
                if (ContainerStore.IsRunning(r) && StatsReader.Read(r.State.Pid) is { } s)
                {
                    previous[r.Id] = s;
                }
            }

            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(stream ? 1 : 0.5), ct).ConfigureAwait(false);
                var rows = new List<JsonObject>();
                foreach (var (given, r) in Current())
                {
                    var sample = ContainerStore.IsRunning(r) && r.State.Pid > 0 ? StatsReader.Read(r.State.Pid) : null;
                    rows.Add(Row(given, r, sample, sample is null ? null : previous.GetValueOrDefault(r.Id), trunc));
                    if (sample is not null)
                    {
                        previous[r.Id] = sample;
                    }
                }

                var text = OutputFormat.Render(pr.GetValue(format), DefaultTable, Headers, rows);
                if (stream)
                {
                    Console.Out.Write("\u001b[2J\u001b[H");
                }

                Console.Out.Write(text);
                Console.Out.Flush();
                if (!stream)
                {
                    return 0;
                }
            }
        });
        return command;
    }

    internal static JsonObject Row(string given, ContainerRecord r, StatsSample? sample, StatsSample? previous, bool trunc)
    {
        var running = sample is not null;
        return new JsonObject
        {
            ["BlockIO"] = running ? $"{HumanUnits.Size(sample!.BlockReadBytes)} / {HumanUnits.Size(sample.BlockWriteBytes)}" : "0B / 0B",
            ["CPUPerc"] = running ? Percent(StatsSample.CpuPercent(previous, sample!)) : "0.00%",
            ["Container"] = given,
            ["ID"] = trunc ? r.ShortId : r.Id,
            ["MemPerc"] = running ? Percent(sample!.MemoryPercent) : "0.00%",
            ["MemUsage"] = running ? $"{BinarySize(sample!.MemoryUsage)} / {BinarySize(sample.MemoryLimit)}" : "0B / 0B",
            ["Name"] = r.Name,
            ["NetIO"] = running ? $"{HumanUnits.Size(sample!.NetRxBytes)} / {HumanUnits.Size(sample.NetTxBytes)}" : "0B / 0B",
            ["PIDs"] = running ? sample!.Pids.ToString(CultureInfo.InvariantCulture) : "0",
        };
    }

    private static string Percent(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + "%";

    /// <summary>go-units BytesSize: binary units with 3 significant digits ("1.5MiB", "7.66GiB").</summary>
    internal static string BinarySize(double size)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        var i = 0;
        while (size >= 1024 && i < units.Length - 1)
        {
            size /= 1024;
            i++;
        }

        return size.ToString("G3", CultureInfo.InvariantCulture).Replace("E+", "e+", StringComparison.Ordinal) + units[i];
    }
}
