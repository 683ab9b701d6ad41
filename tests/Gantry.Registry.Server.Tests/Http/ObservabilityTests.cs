// Owns: access log lines, /metrics in Prometheus format and /health.
using System.Net;

namespace Gantry.Registry.Server.Tests.Http;

public sealed class ObservabilityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_request_gets_one_access_log_line_and_counts_in_metrics()
    {
        await using var r = await TestRegistry.StartAsync();
        await r.PushImageAsync("obs/app", "v1");
        using var missing = await r.Client.GetAsync("/v2/obs/app/manifests/nope", Ct);
        using var health = await r.Client.GetAsync("/health", Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("\"ok\"", await health.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var metrics = await r.Client.GetAsync("/metrics", Ct);
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var text = await metrics.Content.ReadAsStringAsync(Ct);
        Assert.Contains("# TYPE registry_http_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("registry_http_requests_total{route=\"manifests\",method=\"PUT\",code=\"201\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("registry_http_requests_total{route=\"manifests\",method=\"GET\",code=\"404\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("registry_http_request_duration_seconds_bucket{route=\"manifests\",le=\"+Inf\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("process_resident_memory_bytes ", text, StringComparison.Ordinal);

        string log = string.Empty;
        for (var i = 0; i < 100 && !log.Contains("path=/health", StringComparison.Ordinal); i++)
        {
            await Task.Delay(20, Ct);
            log = r.Log;
        }

        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("msg=request", StringComparison.Ordinal)).ToList();
        var notFound = Assert.Single(lines, l => l.Contains("path=/v2/obs/app/manifests/nope", StringComparison.Ordinal));
        Assert.Contains("method=GET", notFound, StringComparison.Ordinal);
        Assert.Contains("status=404", notFound, StringComparison.Ordinal);
        Assert.Contains("error=MANIFEST_UNKNOWN", notFound, StringComparison.Ordinal);
        Assert.Matches(@"^time=\S+ level=info msg=request method=GET path=\S+ status=404 bytes_in=0 bytes_out=\d+ duration_ms=[\d.]+ remote=\S+ user=- error=MANIFEST_UNKNOWN$", notFound);
    }
}
