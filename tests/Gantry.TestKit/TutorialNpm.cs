// Owns: deciding once whether the npm registry (the tutorials' `RUN npm install`) is reachable, and skipping visibly when not.
namespace Gantry.TestKit;

/// <summary>
/// The tutorials' Dockerfiles run <c>npm install</c>, which needs https://registry.npmjs.org (the one network access outside
/// loopback the tests allow). <see cref="Require"/> skips the calling test with <c>npm registry unreachable: …</c> when a GET
/// of a package document fails; the probe runs once per process.
/// </summary>
public static class TutorialNpm
{
    public const string Registry = "https://registry.npmjs.org/";

    private static readonly Lazy<string?> Problem = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Null when reachable, else why not.</summary>
    public static string? UnreachableReason => Problem.Value;

    public static void Require() => Assert.SkipWhen(Problem.Value is not null, $"npm registry unreachable: {Problem.Value}");

    private static string? Probe()
    {
        if (Environment.GetEnvironmentVariable("GANTRY_TEST_NO_NPM") is { Length: > 0 })
        {
            return "GANTRY_TEST_NO_NPM is set";
        }

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            using var response = http.GetAsync(new Uri(new Uri(Registry), "node-cron/3.0.3"), HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
            return response.IsSuccessStatusCode ? null : $"GET {Registry}node-cron/3.0.3 answered {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            return $"GET {Registry}node-cron/3.0.3 failed: {ex.Message}";
        }
    }
}
