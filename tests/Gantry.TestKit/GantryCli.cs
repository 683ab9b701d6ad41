// Owns: running the gantry command under test (the build output of Gantry.Cli) against a private store root.
namespace Gantry.TestKit;

public sealed class GantryCli
{
    public GantryCli(string root, IDictionary<string, string?>? env = null)
    {
        StoreRoot = root;
        Environment = new Dictionary<string, string?>(env ?? new Dictionary<string, string?>())
        {
            ["GANTRY_ROOT"] = root,
        };
    }

    public string StoreRoot { get; }

    public Dictionary<string, string?> Environment { get; }

    /// <summary>The gantry executable: $GANTRY_BIN, else the apphost built next to the tests, else the one on PATH.</summary>
    public static string Executable
    {
        get
        {
            var env = System.Environment.GetEnvironmentVariable("GANTRY_BIN");
            if (!string.IsNullOrEmpty(env))
            {
                return env;
            }

            var local = Path.Combine(AppContext.BaseDirectory, "gantry");
            if (File.Exists(local))
            {
                return local;
            }

            return Requires.Which("gantry") ?? throw new InvalidOperationException("gantry binary not found: reference Gantry.Cli from the test project or set GANTRY_BIN");
        }
    }

    public ProcessResult Run(params string[] args) => Run(args, null, null);

    public ProcessResult Run(IEnumerable<string> args, string? workingDirectory, string? stdin = null, TimeSpan? timeout = null) =>
        ProcessRunner.Run(Executable, args, workingDirectory, Environment, stdin, timeout);

    public Task<ProcessResult> RunAsync(IEnumerable<string> args, string? workingDirectory = null, string? stdin = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ProcessRunner.RunAsync(Executable, args, workingDirectory, Environment, stdin, timeout, cancellationToken);

    /// <summary>Runs and asserts exit code 0, returning stdout.</summary>
    public string Ok(params string[] args)
    {
        var result = Run(args);
        Assert.True(result.ExitCode == 0, $"gantry {string.Join(' ', args)} failed: {result}");
        return result.StdOut;
    }
}
