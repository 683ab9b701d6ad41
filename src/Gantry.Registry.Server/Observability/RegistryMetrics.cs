// Owns: the Prometheus metrics of the registry: request counts and latencies by route, bytes moved, uploads, GC.
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Gantry.Registry.Server.Observability;

/// <summary>Lock-free counters rendered in the Prometheus text exposition format at <c>/metrics</c>.</summary>
public sealed class RegistryMetrics
{
    private static readonly double[] Buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private readonly ConcurrentDictionary<(string Route, string Method, int Status), long[]> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new(StringComparer.Ordinal);
    private long _bytesIn;
    private long _bytesOut;
    private long _gcRuns;
    private long _gcBlobsDeleted;
    private long _gcBytesFreed;
    private long _proxyFetches;

    private sealed class Histogram
    {
        public long[] Counts { get; } = new long[Buckets.Length + 1];

        public long SumMicros;
    }

    public void Record(string route, string method, int status, long bytesIn, long bytesOut, double seconds)
    {
        var counter = _requests.GetOrAdd((route, method, status), _ => new long[1]);
        Interlocked.Increment(ref counter[0]);
        Interlocked.Add(ref _bytesIn, bytesIn);
        Interlocked.Add(ref _bytesOut, bytesOut);
        var h = _latency.GetOrAdd(route, _ => new Histogram());
        var i = 0;
        while (i < Buckets.Length && seconds > Buckets[i])
        {
            i++;
        }

        Interlocked.Increment(ref h.Counts[i]);
        Interlocked.Add(ref h.SumMicros, (long)(seconds * 1_000_000));
    }

    public void RecordGc(int blobs, long bytes)
    {
        Interlocked.Increment(ref _gcRuns);
        Interlocked.Add(ref _gcBlobsDeleted, blobs);
        Interlocked.Add(ref _gcBytesFreed, bytes);
    }

    public void RecordProxyFetch() => Interlocked.Increment(ref _proxyFetches);

    public string Render(int activeUploads)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(4096);
        sb.Append("# HELP registry_http_requests_total HTTP requests by route, method and status.\n# TYPE registry_http_requests_total counter\n");
        foreach (var ((route, method, status), v) in _requests.OrderBy(k => k.Key.Route, StringComparer.Ordinal).ThenBy(k => k.Key.Method, StringComparer.Ordinal).ThenBy(k => k.Key.Status))
        {
            sb.Append(inv, $"registry_http_requests_total{{route=\"{route}\",method=\"{method}\",code=\"{status}\"}} {Interlocked.Read(ref v[0])}\n");
        }

        sb.Append("# HELP registry_http_request_duration_seconds Request latency by route.\n# TYPE registry_http_request_duration_seconds histogram\n");
        foreach (var (route, h) in _latency.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            long cumulative = 0;
            for (var i = 0; i < Buckets.Length; i++)
            {
                cumulative += Interlocked.Read(ref h.Counts[i]);
                sb.Append(inv, $"registry_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{Buckets[i]}\"}} {cumulative}\n");
            }

            cumulative += Interlocked.Read(ref h.Counts[^1]);
            sb.Append(inv, $"registry_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {cumulative}\n");
            sb.Append(inv, $"registry_http_request_duration_seconds_sum{{route=\"{route}\"}} {Interlocked.Read(ref h.SumMicros) / 1_000_000.0}\n");
            sb.Append(inv, $"registry_http_request_duration_seconds_count{{route=\"{route}\"}} {cumulative}\n");
        }

        void Gauge(string name, string type, string help, double value) =>
            sb.Append(inv, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
        Gauge("registry_http_received_bytes_total", "counter", "Request body bytes received.", Interlocked.Read(ref _bytesIn));
        Gauge("registry_http_sent_bytes_total", "counter", "Response body bytes sent.", Interlocked.Read(ref _bytesOut));
        Gauge("registry_uploads_active", "gauge", "Blob uploads in progress.", activeUploads);
        Gauge("registry_gc_runs_total", "counter", "Garbage collections run.", Interlocked.Read(ref _gcRuns));
        Gauge("registry_gc_blobs_deleted_total", "counter", "Blobs deleted by garbage collection.", Interlocked.Read(ref _gcBlobsDeleted));
        Gauge("registry_gc_bytes_freed_total", "counter", "Bytes freed by garbage collection.", Interlocked.Read(ref _gcBytesFreed));
        Gauge("registry_proxy_fetches_total", "counter", "Blobs and manifests fetched from the upstream of a mirror.", Interlocked.Read(ref _proxyFetches));
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        Gauge("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", process.WorkingSet64);
        Gauge("process_cpu_seconds_total", "counter", "Total user and system CPU time in seconds.", process.TotalProcessorTime.TotalSeconds);
        Gauge("dotnet_gc_heap_bytes", "gauge", "Managed heap size in bytes.", GC.GetTotalMemory(false));
        return sb.ToString();
    }
}
