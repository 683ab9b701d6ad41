// Owns: running `gantry registry serve` as a real process, waiting for its "Listening on" line, and stopping it with SIGTERM.
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Gantry.TestKit;

namespace Gantry.Registry.Server.Tests.Interop;

/// <summary>The gantry binary serving a registry on 127.0.0.1:0 (or whatever the arguments say).</summary>
public sealed partial class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr;

    private ServeProcess(Process process, StringBuilder stderr, Uri baseAddress)
    {
        _process = process;
        _stderr = stderr;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string HostPort => $"{BaseAddress.Host}:{BaseAddress.Port}";

    public string StdErr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    [GeneratedRegex(@"^Listening on (https?://\S+)")]
    private static partial Regex ListeningLine();

    public static Task<ServeProcess> StartAsync(IEnumerable<string> args, CancellationToken ct) => StartAsync(GantryCli.Executable, args, ct);

    /// <summary>
    /// Starts <paramref name="executable"/> (the apphost or a Native AOT gantry) as <c>registry serve ARGS</c>; with
    /// <paramref name="sigintIgnored"/> it starts the way a shell without job control starts a background command:
    /// with SIGINT ignored (sh's <c>trap '' INT</c>, kept across exec; the process id stays gantry's).
    /// </summary>
    public static async Task<ServeProcess> StartAsync(string executable, IEnumerable<string> args, CancellationToken ct, bool sigintIgnored = false)
    {
        var psi = new ProcessStartInfo(sigintIgnored ? "/bin/sh" : executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (sigintIgnored)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("trap '' INT; exec \"$@\"");
            psi.ArgumentList.Add("sh");
            psi.ArgumentList.Add(executable);
        }

        psi.ArgumentList.Add("registry");
        psi.ArgumentList.Add("serve");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        var stderr = new StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && ListeningLine().Match(e.Data) is { Success: true } m)
            {
                listening.TrySetResult(new Uri(m.Groups[1].Value + "/"));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"gantry registry serve exited with {process.ExitCode}: {stderr}"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var uri = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            return new ServeProcess(process, stderr, uri);
        }
        catch
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
            throw;
        }
    }

    /// <summary>Sends a signal (TERM, INT, …) without waiting.</summary>
    public void Signal(string signal) =>
        Assert.Equal(0, ProcessRunner.Run("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);

    /// <summary>Waits (up to 20 s, then kills) for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            throw new InvalidOperationException("gantry registry serve was still running 20 s after the signal");
        }

        await _process.WaitForExitAsync(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>Stops with SIGTERM and returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            ProcessRunner.Run("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
