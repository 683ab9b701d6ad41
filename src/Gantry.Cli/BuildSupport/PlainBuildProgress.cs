// Owns: BuildKit-style plain progress lines on stderr: "#N [stage i/n] INSTRUCTION", RUN output, "#N CACHED", "#N DONE 0.4s".
using System.Diagnostics;
using System.Globalization;
using Gantry.Build;

namespace Gantry.Cli.BuildSupport;

/// <summary>Writes docker's plain progress format; thread-safe, so concurrently built stages interleave by whole lines.</summary>
internal sealed class PlainBuildProgress(TextWriter output) : IBuildProgress
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Stopwatch> _clocks = [];

    public void StepStarted(BuildStepInfo step)
    {
        ArgumentNullException.ThrowIfNull(step);
        lock (_lock)
        {
            _clocks[step.Number] = Stopwatch.StartNew();
            output.WriteLine($"#{step.Number} {step.Title}");
            output.Flush();
        }
    }

    public void StepCached(BuildStepInfo step)
    {
        ArgumentNullException.ThrowIfNull(step);
        Write($"#{step.Number} CACHED");
    }

    public void StepOutput(BuildStepInfo step, string line)
    {
        ArgumentNullException.ThrowIfNull(step);
        lock (_lock)
        {
            var seconds = _clocks.TryGetValue(step.Number, out var sw) ? sw.Elapsed.TotalSeconds : 0;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#{step.Number} {seconds:0.000} {line}"));
            output.Flush();
        }
    }

    public void StepDone(BuildStepInfo step, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(step);
        Write(string.Create(CultureInfo.InvariantCulture, $"#{step.Number} DONE {elapsed.TotalSeconds:0.0}s"));
    }

    public void StepFailed(BuildStepInfo step, string message)
    {
        ArgumentNullException.ThrowIfNull(step);
        Write($"#{step.Number} ERROR: {message}");
    }

    public void Message(string line) => Write(line);

    private void Write(string line)
    {
        lock (_lock)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
