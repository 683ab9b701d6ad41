// Owns: the settings a registry client session runs with (insecure hosts, certs.d, mirrors, concurrency, retries).
namespace Gantry.Registry.Client;

public sealed record RegistryOptions
{
    /// <summary>Hosts (host or host:port, or CIDR-free IPs) where plain HTTP and unverified TLS are allowed, besides loopback.</summary>
    public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

    /// <summary>docker's certs.d directory (HOST:PORT/ca.crt, client.cert, client.key). Default: $GANTRY_CERTS_D or /etc/docker/certs.d.</summary>
    public string CertsDirectory { get; init; } = DefaultCertsDirectory;

    /// <summary>Mirror base URLs (e.g. http://127.0.0.1:5000) tried first for pulls of docker.io images.</summary>
    public IReadOnlyList<Uri> Mirrors { get; init; } = [];

    /// <summary>How many blobs move at the same time in a pull (docker's max-concurrent-downloads).</summary>
    public int MaxConcurrentTransfers { get; init; } = 3;

    /// <summary>How many blobs a push checks, mounts or uploads at the same time (docker's max-concurrent-uploads): most of a
    /// push's requests are round trips (HEAD, mount), so more run at once than in a pull.</summary>
    public int MaxConcurrentUploads { get; init; } = 5;

    /// <summary>How many times a failed request or interrupted transfer is retried.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First backoff delay; doubled on each retry (Retry-After wins when the registry sends it).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The most bytes one PATCH request carries (larger blobs go in several PATCHes, each resumable).</summary>
    public int ChunkSize { get; init; } = 64 * 1024 * 1024;

    /// <summary>
    /// Blobs up to this size go in one PUT (two requests); larger ones stream in PATCH requests and a closing PUT, as docker
    /// does, so that after a dropped connection the upload continues from the offset the registry reports.
    /// </summary>
    public long MonolithicUploadLimit { get; init; } = 16 * 1024 * 1024;

    public string UserAgent { get; init; } = "gantry/0.1";

    /// <summary>Whether localhost and 127.0.0.0/8 count as insecure (docker's default). Tests of TLS verification turn it off.</summary>
    public bool LoopbackIsInsecure { get; init; } = true;

    public static string DefaultCertsDirectory =>
        Environment.GetEnvironmentVariable("GANTRY_CERTS_D") is { Length: > 0 } fromEnv ? fromEnv : "/etc/docker/certs.d";

    /// <summary>True when plain HTTP / unverified TLS is allowed for this host[:port].</summary>
    public bool IsInsecure(string hostAndPort)
    {
        if (LoopbackIsInsecure && RegistryHosts.IsLoopback(hostAndPort))
        {
            return true;
        }

        var host = RegistryHosts.ToHostname(hostAndPort);
        var bare = RegistryHosts.HostOnly(host);
        foreach (var entry in InsecureRegistries)
        {
            var e = RegistryHosts.ToHostname(entry);
            if (e == host || e == bare)
            {
                return true;
            }
        }

        return false;
    }
}
