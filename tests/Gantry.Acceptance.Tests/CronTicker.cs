// Owns: building tutorial 1's cron-ticker image once per test run in the shared store (for tests that start from it).
using Gantry.TestKit;

namespace Gantry.Acceptance.Tests;

public static class CronTicker
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _built;

    /// <summary>`gantry build --tag cron-ticker .` of the tutorial's Dockerfile in a folder living as long as the environment.</summary>
    public static async Task EnsureBuiltAsync(TutorialEnvironment env, GantryCli cli)
    {
        await Gate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_built)
            {
                return;
            }

            var dir = env.Work.Combine("cron-ticker-app");
            TutorialApps.WriteCronTicker(dir);
            await cli.OkAsync(dir, "build", "--tag", "cron-ticker", ".");
            _built = true;
        }
        finally
        {
            Gate.Release();
        }
    }
}
