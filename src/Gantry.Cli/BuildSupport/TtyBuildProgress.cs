// Owns: the live build view on a terminal (Spectre.Console live display): one line per step with its state and time, the running step's last output lines.
using System.Diagnostics;
using System.Globalization;
using Gantry.Build;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Gantry.Cli.BuildSupport;

/// <summary>
/// A Spectre.Console live display redrawn ten times a second from the events the build reports (from any thread).
/// Dispose stops it and prints the complete final step list, so nothing is lost to cropping on a short terminal.
/// </summary>
internal sealed class TtyBuildProgress : IBuildProgress, IDisposable
{
    private const int OutputLines = 6;
    private static readonly Style Running = new(Color.Default);
    private static readonly Style Finished = new(Color.Blue);
    private static readonly Style Failed = new(Color.Red);
    private static readonly Style Dim = new(decoration: Decoration.Dim);
    private static readonly Style Header = new(decoration: Decoration.Bold);

    private readonly IAnsiConsole _console;
    private readonly Lock _lock = new();
    private readonly List<Row> _rows = [];
    private readonly List<string> _messages = [];
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _live;

    private sealed class Row(BuildStepInfo step)
    {
        public BuildStepInfo Step { get; } = step;

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public string State { get; set; } = "running";

        public TimeSpan? Elapsed { get; set; }

        public Queue<string> Output { get; } = new();
    }

    public TtyBuildProgress(TextWriter output)
    {
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Yes,
        });
        _live = Task.Run(RunLiveAsync);
    }

    public void StepStarted(BuildStepInfo step) => Update(() => _rows.Add(new Row(step)));

    public void StepCached(BuildStepInfo step) => Update(() => Set(step, "CACHED", TimeSpan.Zero));

    public void StepDone(BuildStepInfo step, TimeSpan elapsed) => Update(() => Set(step, "DONE", elapsed));

    public void StepFailed(BuildStepInfo step, string message) => Update(() => Set(step, "ERROR", null));

    public void StepOutput(BuildStepInfo step, string line) => Update(() =>
    {
        var row = _rows.FindLast(r => r.Step.Number == step.Number);
        if (row is not null)
        {
            row.Output.Enqueue(line);
            while (row.Output.Count > OutputLines)
            {
                row.Output.Dequeue();
            }
        }
    });

    public void Message(string line) => Update(() => _messages.Add(line));

    private void Set(BuildStepInfo step, string state, TimeSpan? elapsed)
    {
        var row = _rows.FindLast(r => r.Step.Number == step.Number);
        if (row is null)
        {
            row = new Row(step);
            _rows.Add(row);
        }

        row.State = state;
        row.Elapsed = elapsed ?? row.Clock.Elapsed;
        if (state != "ERROR")
        {
            row.Output.Clear();
        }
    }

    private void Update(Action change)
    {
        lock (_lock)
        {
            change();
        }
    }

    private async Task RunLiveAsync()
    {
        try
        {
            await _console.Live(Render())
                .AutoClear(true)
                .Overflow(VerticalOverflow.Ellipsis)
                .Cropping(VerticalOverflowCropping.Top)
                .StartAsync(async ctx =>
                {
                    while (!_stop.IsCancellationRequested)
                    {
                        ctx.UpdateTarget(Render());
                        ctx.Refresh();
                        try
                        {
                            await Task.Delay(100, _stop.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            break;
                        }
                    }
                }).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The terminal went away (e.g. the pipe closed); nothing left to draw on.
        }
    }

    /// <summary>
    /// The current view: a header, one line per step (title cut to fit, state right-aligned), running steps' last output
    /// lines, then messages. Lines are laid out by hand to the terminal's width, so a state is never wrapped or cut.
    /// </summary>
    private IRenderable Render()
    {
        lock (_lock)
        {
            var width = Math.Max(_console.Profile.Width, 20);
            var lines = new List<IRenderable>(_rows.Count + _messages.Count + 1);
            var done = _rows.Count(r => r.State is "DONE" or "CACHED");
            lines.Add(new Text(Fit(string.Create(CultureInfo.InvariantCulture, $"[+] Building {_total.Elapsed.TotalSeconds:0.0}s ({done}/{_rows.Count})"), width), Header));
            foreach (var row in _rows)
            {
                var time = (row.Elapsed ?? row.Clock.Elapsed).TotalSeconds;
                var (style, label) = row.State switch
                {
                    "CACHED" => (Finished, "CACHED"),
                    "DONE" => (Finished, string.Create(CultureInfo.InvariantCulture, $"{time:0.0}s")),
                    "ERROR" => (Failed, "ERROR"),
                    _ => (Running, string.Create(CultureInfo.InvariantCulture, $"{time:0.0}s")),
                };
                lines.Add(new Text(StepLine(string.Create(CultureInfo.InvariantCulture, $" => #{row.Step.Number} {row.Step.Title}"), label, width), style));
                if (row.State is "running" or "ERROR")
                {
                    foreach (var line in row.Output)
                    {
                        lines.Add(new Text(Fit(" => > " + line, width), Dim));
                    }
                }
            }

            foreach (var message in _messages)
            {
                // Messages (the image ID among them) wrap rather than lose their end.
                lines.Add(new Text(Clean(" => " + message)));
            }

            return new Rows(lines);
        }
    }

    /// <summary><paramref name="title"/> cut to leave room for <paramref name="label"/>, which ends the line at <paramref name="width"/>.</summary>
    internal static string StepLine(string title, string label, int width)
    {
        var room = Math.Max(width - label.Length - 2, 4);
        var left = Fit(title, room);
        return left.PadRight(room) + " " + label;
    }

    /// <summary>One terminal line: control characters dropped, cut with an ellipsis past <paramref name="width"/> - 1 columns.</summary>
    internal static string Fit(string text, int width)
    {
        var clean = Clean(text);
        var max = Math.Max(width - 1, 2);
        return clean.Length <= max ? clean : string.Concat(clean.AsSpan(0, max - 1), "…");
    }

    /// <summary><paramref name="text"/> with control characters (which would move the cursor) turned into spaces.</summary>
    private static string Clean(string text) => string.Create(text.Length, text, static (span, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            span[i] = char.IsControl(source[i]) ? ' ' : source[i];
        }
    });

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _live.GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // Another live display was active; the final list below still shows the result.
        }

        _stop.Dispose();
        _console.Write(Render());
    }
}
