// Owns: `gantry top CONTAINER [ps OPTIONS]` (and `container top`): the container's processes as the host's ps shows them.
using System.CommandLine;
using System.Text;
using Gantry.Cli.Containers;
using Gantry.Oci;
using Gantry.Runtime.State;
using Gantry.Runtime.Top;

namespace Gantry.Cli.Commands;

internal static class TopCommand
{
    public static Command Create()
    {
        var command = new Command("top", "Display the running processes of a container") { TreatUnmatchedTokensAsErrors = false };
        var container = new Argument<string>("container");
        command.Arguments.Add(container);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            var record = store.Get(pr.GetValue(container)!);
            if (!ContainerStore.IsRunning(record) || record.State.Pid <= 0)
            {
                throw new GantryException($"container {record.Id} is not running: start it with 'gantry start {record.Name}' before listing its processes");
            }

            var psArgs = pr.UnmatchedTokens.Where(t => t != "--").ToList();
            var runtime = ContainerCli.Runtime(record.Runtime.Length > 0 ? record.Runtime : null);
            var pids = await ContainerTop.PidsAsync(runtime, record.Id, record.State.Pid, ct).ConfigureAwait(false);
            if (pids.Count == 0)
            {
                throw new GantryException($"container {record.Id} is not running: it has no processes left");
            }

            var result = await ContainerTop.RunPsAsync(psArgs, pids, ct).ConfigureAwait(false);
            Console.Out.Write(Render(result));
            return 0;
        });
        return command;
    }

    /// <summary>docker's tabwriter (minwidth 20, padding 3): every column but the last padded; the last one as is.</summary>
    internal static string Render(TopResult result)
    {
        var rows = new List<IReadOnlyList<string>> { result.Titles };
        rows.AddRange(result.Processes);
        var columns = rows.Max(r => r.Count);
        var widths = new int[columns];
        foreach (var r in rows)
        {
            for (var i = 0; i < r.Count - 1; i++)
            {
                widths[i] = Math.Max(widths[i], Math.Max(20, r[i].Length + 3));
            }
        }

        var sb = new StringBuilder();
        foreach (var r in rows)
        {
            for (var i = 0; i < r.Count; i++)
            {
                sb.Append(i < r.Count - 1 ? r[i].PadRight(widths[i]) : r[i]);
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }
}
