// Owns: every setting of the registry server (address, storage, TLS, auth, proxy, limits, GC), with defaults.
namespace Gantry.Registry.Server.Configuration;

/// <summary>Settings of one registry server. Build one directly, from a config file, or from CLI flags.</summary>
public sealed record RegistryOptions
{
    /// <summary>host:port to listen on; port 0 picks a free port (see <see cref="RegistryServer.Port"/>).</summary>
    public string Address { get; init; } = "127.0.0.1:5000";

    /// <summary>The registry's own storage directory (blobs, repositories, uploads).</summary>
    public required string Root { get; init; }

    public string? TlsCertificate { get; init; }

    public string? TlsKey { get; init; }

    /// <summary>An htpasswd file with bcrypt entries; enables Basic auth and the token endpoint.</summary>
    public string? Htpasswd { get; init; }

    /// <summary>
    /// The Bearer token realm advertised to clients. "auto" means this server's own <c>/token</c> endpoint.
    /// Null with an htpasswd file means Basic auth.
    /// </summary>
    public string? TokenRealm { get; init; }

    /// <summary>The service name in token challenges and the expected token audience.</summary>
    public string TokenService { get; init; } = "gantry-registry";

    /// <summary>The issuer this server writes into its tokens and expects in tokens it verifies.</summary>
    public string TokenIssuer { get; init; } = "gantry-registry";

    /// <summary>A PEM public key or certificate that signs tokens of an external realm (RS256/ES256).</summary>
    public string? TokenCertificate { get; init; }

    /// <summary>A PEM private key (RSA or EC P-256) this server signs its own tokens with; ephemeral when absent.</summary>
    public string? TokenSigningKey { get; init; }

    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Whether unauthenticated clients may pull when auth is configured. Without auth everything is open.</summary>
    public bool AnonymousPull { get; init; }

    public bool ReadOnly { get; init; }

    /// <summary>Whether DELETE of manifests, tags and blobs is allowed.</summary>
    public bool DeleteEnabled { get; init; }

    /// <summary>Upstream registry for pull-through mirroring (e.g. https://registry-1.docker.io).</summary>
    public string? ProxyRemote { get; init; }

    public string? ProxyUsername { get; init; }

    public string? ProxyPassword { get; init; }

    /// <summary>How long a mirrored tag is served from cache before asking the upstream again.</summary>
    public TimeSpan ProxyTagTtl { get; init; } = TimeSpan.FromMinutes(5);

    public long MaxManifestBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How often online GC runs; zero disables the timer (GC can still be run on demand).</summary>
    public TimeSpan GcInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Blobs younger than this are never collected, so pushes in flight keep their layers.</summary>
    public TimeSpan GcGrace { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Uploads idle for longer than this are abandoned and removed by GC.</summary>
    public TimeSpan UploadExpiry { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long an upload status query waits for a request still writing into the same upload (a cut PATCH the server
    /// has not yet seen end), so the offset it reports is where the next chunk must start. Zero answers at once.
    /// </summary>
    public TimeSpan UploadStatusSettle { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>fsync blobs before they are renamed into place.</summary>
    public bool Fsync { get; init; } = true;

    /// <summary>One structured line per request on stderr.</summary>
    public bool AccessLog { get; init; } = true;

    public bool AuthEnabled => Htpasswd is not null || TokenRealm is not null;
}
