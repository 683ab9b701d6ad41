// Owns: the live build view on a terminal: one line per step with its state and time, the running step's last output lines.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gantry.Build;

namespace Gantry.Cli.BuildSupport;

/// <summary>Redraws the step list in place (ANSI cursor movement) at most ten times a second; a final draw on Dispose.</summary>
internal sealed class TtyBuildProgress : IBuildProgress, IDisposable
{
    private const int OutputLines = 6;
    private readonly TextWriter _out;
    private readonly Lock _lock = new();
    private readonly List<Row> _rows = [];
    private readonly List<string> _messages = [];
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private readonly Timer _timer;
    private int _drawnLines;
    private bool _dirty;

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
        _out = output;
        _timer = new Timer(_ => Draw(final: false), null, 100, 100);
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
            _dirty = true;
        }
    }

    private void Draw(bool final)
    {
        lock (_lock)
        {
            if (!_dirty && !final && !_rows.Exists(r => r.State == "running"))
            {
                return;
            }

            _dirty = false;
            var sb = new StringBuilder();
            if (_drawnLines > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\u001b[{_drawnLines}F");
            }

            var lines = new List<string>
            {
                string.Create(CultureInfo.InvariantCulture, $"\u001b[1m[+] Building {_total.Elapsed.TotalSeconds:0.0}s ({_rows.Count(r => r.State is "DONE" or "CACHED")}/{_rows.Count})\u001b[0m"),
            };
            foreach (var row in _rows)
            {
                var time = (row.Elapsed ?? row.Clock.Elapsed).TotalSeconds;
                var (color, label) = row.State switch
                {
                    "CACHED" => ("\u001b[34m", "CACHED"),
                    "DONE" => ("\u001b[34m", string.Create(CultureInfo.InvariantCulture, $"{time:0.0}s")),
                    "ERROR" => ("\u001b[31m", "ERROR"),
                    _ => ("\u001b[0m", string.Create(CultureInfo.InvariantCulture, $"{time:0.0}s")),
                };
                lines.Add($"{color} => {Fit(row.Step.Title, 100)} {label}\u001b[0m");
                if (row.State is "running" or "ERROR")
                {
                    lines.AddRange(row.Output.Select(o => "\u001b[2m => > " + Fit(o, 100) + "\u001b[0m"));
                }
            }

            lines.AddRange(_messages.Select(m => " => " + m));
            foreach (var line in lines)
            {
                sb.Append(line).Append("\u001b[K\n");
            }

            if (lines.Count < _drawnLines)
            {
                sb.Append("\u001b[J");
            }

            _drawnLines = lines.Count;
            _out.Write(sb.ToString());
            _out.Flush();
        }
    }

    private static string Fit(string s, int width) => s.Length <= width ? s : s[..(width - 3)] + "...";

    public void Dispose()
    {
        _timer.Dispose();
        Draw(final: true);
    }
}
