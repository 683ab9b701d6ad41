// Owns: docker-like per-layer progress output for pull and push: plain lines, or live Spectre.Console bars on a terminal.
using Gantry.Oci;
using Gantry.Registry.Client.Transfer;
using Spectre.Console;

namespace Gantry.Cli.Registry;

/// <summary>
/// Receives <see cref="TransferEvent"/>s from the engines. Plain mode prints one line per state change
/// (<c>a1b2c3d4e5f6: Pull complete</c>); terminal mode draws a bar per layer with bytes and rate. Quiet prints nothing.
/// </summary>
internal sealed class TransferPrinter : IProgress<TransferEvent>
{
    private readonly TextWriter _out;
    private readonly bool _push;
    private readonly bool _quiet;
    private readonly Lock _lock = new();
    private readonly Dictionary<Digest, TransferState> _last = [];
    private readonly Dictionary<Digest, ProgressTask> _bars = [];
    private ProgressContext? _context;

    public TransferPrinter(TextWriter output, bool push, bool quiet)
    {
        _out = output;
        _push = push;
        _quiet = quiet;
    }

    /// <summary>True when bars should be drawn: stdout is a terminal and the writer is the console.</summary>
    public static bool UseBars(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");

    /// <summary>Runs <paramref name="work"/> with bars when on a terminal, else with plain lines.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (_quiet || !UseBars(_out))
        {
            return await work().ConfigureAwait(false);
        }

        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .StartAsync(async ctx =>
            {
                lock (_lock)
                {
                    _context = ctx;
                }

                result = await work().ConfigureAwait(false);
            }).ConfigureAwait(false);
        return result;
    }

    public void Report(TransferEvent value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (_quiet || !value.IsLayer)
        {
            return;
        }

        lock (_lock)
        {
            var id = value.Digest.Short;
            if (_context is not null)
            {
                if (!_bars.TryGetValue(value.Digest, out var bar))
                {
                    _bars[value.Digest] = bar = _context.AddTask(id, maxValue: Math.Max(1, value.Size));
                }

                bar.Description = $"{id}: {Text(value.State, value.Detail)}";
                bar.Value = value.State is TransferState.Complete or TransferState.AlreadyExists or TransferState.Mounted or TransferState.Skipped
                    ? bar.MaxValue
                    : value.Current;
                return;
            }

            if (value.State == TransferState.Transferring)
            {
                return;
            }

            if (_last.TryGetValue(value.Digest, out var previous) && previous == value.State)
            {
                return;
            }

            _last[value.Digest] = value.State;
            _out.WriteLine($"{id}: {Text(value.State, value.Detail)}");
        }
    }

    private string Text(TransferState state, string? detail) => state switch
    {
        TransferState.Waiting => _push ? "Preparing" : "Pulling fs layer",
        TransferState.AlreadyExists => _push ? "Layer already exists" : "Already exists",
        TransferState.Transferring => _push ? "Pushing" : "Downloading",
        TransferState.Retrying => $"Retrying ({detail})",
        TransferState.Complete => _push ? "Pushed" : "Pull complete",
        TransferState.Mounted => $"Mounted from {detail}",
        TransferState.Skipped => $"Skipped foreign layer{(detail is null ? string.Empty : " (" + detail + ")")}",
        _ => state.ToString(),
    };
}
