// Owns: `gantry logs [-f] [--tail N] [--since T] [-t] CONTAINER`.
using System.CommandLine;
using System.Globalization;
using Gantry.Cli.Containers;
using Gantry.Runtime.Logs;
using Gantry.Runtime.State;

namespace Gantry.Cli.Commands;

internal static class LogsCommand
{
    public static Command Create()
    {
        var command = new Command("logs", "Fetch the logs of a container");
        var follow = new Option<bool>("--follow", "-f") { Description = "Follow log output" };
        var tail = new Option<string?>("--tail", "-n") { Description = "Number of lines to show from the end of the logs (default \"all\")" };
        var since = new Option<string?>("--since") { Description = "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)" };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Show timestamps" };
        var container = new Argument<string>("container");
        command.Options.Add(follow);
        command.Options.Add(tail);
        command.Options.Add(since);
        command.Options.Add(timestamps);
        command.Arguments.Add(container);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            var record = store.Get(pr.GetValue(container)!);
            int? tailN = pr.GetValue(tail) is { } t && t != "all"
                ? int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : throw new Gantry.Oci.GantryException($"invalid value for --tail: '{t}' (use a number or all)")
                : null;
            var sinceTime = ParseSince(pr.GetValue(since));
            using var stdout = Console.OpenStandardOutput();
            using var stderr = Console.OpenStandardError();
            await LogReader.WriteAsync(store.LogPath(record.Id), stdout, stderr, tailN, sinceTime, pr.GetValue(timestamps), pr.GetValue(follow),
                () => store.TryGet(record.Id) is { } r && ContainerStore.IsRunning(r), ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    internal static DateTimeOffset? ParseSince(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var abs))
        {
            return abs;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var unix))
        {
            return DateTimeOffset.FromUnixTimeSeconds(unix);
        }

        var unit = text[^1];
        if (double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            var span = unit switch { 's' => TimeSpan.FromSeconds(v), 'm' => TimeSpan.FromMinutes(v), 'h' => TimeSpan.FromHours(v), _ => (TimeSpan?)null };
            if (span is { } s)
            {
                return DateTimeOffset.UtcNow - s;
            }
        }

        throw new Gantry.Oci.GantryException($"invalid value for --since: '{text}' (use a timestamp such as 2024-01-02T13:23:37Z or a duration such as 10m)");
    }
}
