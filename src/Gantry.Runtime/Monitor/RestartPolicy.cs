// Owns: docker's --restart policies (no, always, unless-stopped, on-failure[:N]): parsing, the restart decision, the backoff.
using System.Globalization;
using Gantry.Oci;

namespace Gantry.Runtime.Monitor;

/// <summary>A restart policy as docker defines it; <see cref="MaximumRetryCount"/> only applies to on-failure (0: unlimited).</summary>
public sealed record RestartPolicy(string Name, int MaximumRetryCount)
{
    public static readonly RestartPolicy No = new("no", 0);

    /// <summary>The first delay before a restart; it doubles with each restart and starts again after 10 s of running.</summary>
    public static readonly TimeSpan InitialDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>A run this long resets the backoff (docker's rule).</summary>
    public static readonly TimeSpan ResetAfter = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan MaximumDelay = TimeSpan.FromMinutes(1);

    /// <summary>Parses docker's --restart value: no, always, unless-stopped, on-failure or on-failure:N.</summary>
    public static RestartPolicy Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return No;
        }

        var parts = text.Split(':', 2);
        var name = parts[0];
        int max = 0;
        if (parts.Length == 2)
        {
            if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out max))
            {
                throw new GantryException($"invalid restart policy format: '{text}': the maximum retry count must be a number, as in on-failure:3") { ExitCode = 125 };
            }

            if (name != "on-failure")
            {
                throw new GantryException($"invalid restart policy format: '{text}': a maximum retry count can only be used with on-failure") { ExitCode = 125 };
            }
        }

        return name switch
        {
            "no" or "always" or "unless-stopped" or "on-failure" => new RestartPolicy(name, max),
            _ => throw new GantryException($"invalid restart policy '{text}': use no, always, unless-stopped or on-failure[:max-retries]") { ExitCode = 125 },
        };
    }

    public bool IsNo => Name == "no";

    /// <summary>
    /// docker's decision after an exit: never after a stop or kill by the user; always for always and unless-stopped; for
    /// on-failure only on a non-zero exit while fewer than MaximumRetryCount restarts happened.
    /// </summary>
    public bool ShouldRestart(int exitCode, bool manuallyStopped, int restartCount) =>
        !manuallyStopped && Name switch
        {
            "always" or "unless-stopped" => true,
            "on-failure" => exitCode != 0 && (MaximumRetryCount == 0 || restartCount < MaximumRetryCount),
            _ => false,
        };

    /// <summary>The delay before the next restart, given the previous one and how long the container ran.</summary>
    public static TimeSpan NextDelay(TimeSpan previous, TimeSpan ran)
    {
        if (ran >= ResetAfter || previous <= TimeSpan.Zero)
        {
            return InitialDelay;
        }

        var next = previous * 2;
        return next > MaximumDelay ? MaximumDelay : next;
    }
}
