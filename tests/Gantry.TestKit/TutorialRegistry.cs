// Owns: a `gantry registry serve` child process on 127.0.0.1 (a free port) for the tutorial tests, and stopping it.
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Gantry.TestKit;

/// <summary>
/// Runs <c>gantry registry serve --addr 127.0.0.1:0 --root DIR [--htpasswd FILE]</c> with the gantry under test, waits for its
/// "Listening on http://127.0.0.1:PORT" line and exposes the address. Disposing stops it (SIGTERM, then kill).
/// </summary>
public sealed partial class TutorialRegistry : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log;

    private TutorialRegistry(Process process, Uri baseAddress, StringBuilder log)
    {
        _process = process;
        BaseAddress = baseAddress;
        _log = log;
    }

    /// <summary>http://127.0.0.1:PORT (no trailing slash).</summary>
    public Uri BaseAddress { get; }

    /// <summary>127.0.0.1:PORT, the registry host as image names spell it.</summary>
    public string Host => $"{BaseAddress.Host}:{BaseAddress.Port}";

    /// <summary>What the server wrote so far (access log, errors), for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<TutorialRegistry> StartAsync(string root, string? htpasswd = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(root);
        var psi = new ProcessStartInfo(GantryCli.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "registry", "serve", "--addr", "127.0.0.1:0", "--root", root })
        {
            psi.ArgumentList.Add(a);
        }

        if (htpasswd is not null)
        {
            psi.ArgumentList.Add("--htpasswd");
            psi.ArgumentList.Add(htpasswd);
        }

        psi.Environment["GANTRY_ROOT"] = Path.Combine(root, "..", "gantry-root");
        var process = new Process { StartInfo = psi };
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (log)
            {
                if (log.Length < 1_000_000)
                {
                    log.AppendLine(line);
                }
            }

            var m = ListeningLine().Match(line);
            if (m.Success)
            {
                listening.TrySetResult(new Uri(m.Groups[1].Value));
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"gantry registry serve exited with {process.ExitCode}:\n{log}"));
        process.EnableRaisingEvents = true;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var uri = await listening.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
            return new TutorialRegistry(process, uri, log);
        }
        catch
        {
            Stop(process);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            ProcessRunner.Run("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Stop(_process);
            }
        }

        _process.Dispose();
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    [GeneratedRegex(@"Listening on (https?://[^\s]+)")]
    private static partial Regex ListeningLine();
}
