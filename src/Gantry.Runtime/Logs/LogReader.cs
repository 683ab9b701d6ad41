// Owns: reading docker json-file logs back (tail, since, timestamps) and following a growing log until the container stops.
using System.Text;
using System.Text.Json;

namespace Gantry.Runtime.Logs;

public static class LogReader
{
    /// <summary>Reads every complete line of the log; skips malformed lines.</summary>
    public static List<LogLine> ReadAll(string path)
    {
        var result = new List<LogLine>();
        if (!File.Exists(path))
        {
            return result;
        }

        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(fs, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            if (Parse(line) is { } l)
            {
                result.Add(l);
            }
        }

        return result;
    }

    public static LogLine? Parse(string line)
    {
        if (line.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(line, CompactLogJson.Default.LogLine);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes lines to stdout/stderr; follows the file while <paramref name="isRunning"/> says the container runs.</summary>
    public static async Task WriteAsync(string path, Stream stdout, Stream stderr, int? tail, DateTimeOffset? since, bool timestamps, bool follow, Func<bool> isRunning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(isRunning);
        long position = 0;
        var lines = new List<LogLine>();
        if (File.Exists(path))
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            position = ReadComplete(fs, 0, lines);
        }

        IEnumerable<LogLine> selected = lines;
        if (since is { } s)
        {
            selected = selected.Where(l => l.Time >= s);
        }

        if (tail is { } t && t >= 0)
        {
            var list = selected.ToList();
            selected = list.Skip(Math.Max(0, list.Count - t));
        }

        await EmitAsync(selected, stdout, stderr, timestamps, cancellationToken).ConfigureAwait(false);
        if (!follow)
        {
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var running = isRunning();
            var more = new List<LogLine>();
            if (File.Exists(path))
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                position = ReadComplete(fs, position, more);
            }

            await EmitAsync(more, stdout, stderr, timestamps, cancellationToken).ConfigureAwait(false);
            if (!running)
            {
                return;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private static long ReadComplete(FileStream fs, long from, List<LogLine> into)
    {
        fs.Seek(from, SeekOrigin.Begin);
        var buffer = new byte[fs.Length - from];
        var n = 0;
        while (n < buffer.Length)
        {
            var r = fs.Read(buffer, n, buffer.Length - n);
            if (r == 0)
            {
                break;
            }

            n += r;
        }

        var last = Array.LastIndexOf(buffer, (byte)'\n', n - 1 < 0 ? 0 : n - 1);
        if (n == 0 || last < 0)
        {
            return from;
        }

        foreach (var line in Encoding.UTF8.GetString(buffer, 0, last).Split('\n'))
        {
            if (Parse(line) is { } l)
            {
                into.Add(l);
            }
        }

        return from + last + 1;
    }

    private static async Task EmitAsync(IEnumerable<LogLine> lines, Stream stdout, Stream stderr, bool timestamps, CancellationToken cancellationToken)
    {
        foreach (var l in lines)
        {
            var text = timestamps ? l.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'00Z'", System.Globalization.CultureInfo.InvariantCulture) + " " + l.Log : l.Log;
            var target = l.Stream == "stderr" ? stderr : stdout;
            await target.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        }

        await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
        await stderr.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
