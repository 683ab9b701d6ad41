// Owns: structured access logs: one logfmt line per request, written to stderr by a background writer.
using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace Gantry.Registry.Server.Observability;

/// <summary>Queues one line per request and writes them off the request path, so logging never slows a response.</summary>
public sealed class AccessLog : IAsyncDisposable
{
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(65536) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly TextWriter _writer;
    private readonly Task _pump;

    public AccessLog(TextWriter writer)
    {
        _writer = writer;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Queues a line: <c>time=… level=info msg=request method=GET path=/v2/… status=200 bytes=… duration_ms=… remote=… user=…</c>.</summary>
    public void Write(string method, string path, int status, long bytesIn, long bytesOut, double durationMs, string? remote, string user, string? error)
    {
        var sb = new StringBuilder(200);
        sb.Append("time=").Append(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        sb.Append(" level=").Append(status >= 500 ? "error" : "info");
        sb.Append(" msg=request method=").Append(method);
        sb.Append(" path=").Append(Quote(path));
        sb.Append(" status=").Append(status.ToString(CultureInfo.InvariantCulture));
        sb.Append(" bytes_in=").Append(bytesIn.ToString(CultureInfo.InvariantCulture));
        sb.Append(" bytes_out=").Append(bytesOut.ToString(CultureInfo.InvariantCulture));
        sb.Append(" duration_ms=").Append(durationMs.ToString("0.###", CultureInfo.InvariantCulture));
        sb.Append(" remote=").Append(remote ?? "-");
        sb.Append(" user=").Append(Quote(user));
        if (error is not null)
        {
            sb.Append(" error=").Append(Quote(error));
        }

        _lines.Writer.TryWrite(sb.ToString());
    }

    /// <summary>Queues a free-form informational line (startup, GC).</summary>
    public void Info(string message) => _lines.Writer.TryWrite($"time={DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)} level=info msg={Quote(message)}");

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => c > ' ' && c != '"' && c != '=' && c < 127) ? s : "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private async Task PumpAsync()
    {
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var line))
            {
                await _writer.WriteLineAsync(line).ConfigureAwait(false);
            }

            await _writer.FlushAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _pump.ConfigureAwait(false);
    }
}
