// Owns: opt-in wall-clock marks of where a command's time goes (GANTRY_TRACE_PHASES=1), written to stderr.
using System.Diagnostics;
using System.Globalization;

namespace Gantry.Oci.Diagnostics;

/// <summary>
/// With the environment variable <c>GANTRY_TRACE_PHASES=1</c>, <see cref="Mark"/> writes one line per call to stderr:
/// milliseconds since the process started, the thread, and the label. Off (one static bool test) otherwise. For
/// profiling by hand (bench/analysis.md); nothing depends on it.
/// </summary>
public static class PhaseTrace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("GANTRY_TRACE_PHASES") == "1";

    /// <summary>Writes a mark when tracing is on.</summary>
    public static void Mark(string label)
    {
        if (!Enabled)
        {
            return;
        }

        var ms = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[phase {ms,8:F1} ms t{Environment.CurrentManagedThreadId}] {label}"));
    }
}
