// Owns: Docker Hub's names and aliases, and which hosts count as insecure (plain HTTP allowed) by default.
using System.Net;

namespace Gantry.Registry.Client;

public static class RegistryHosts
{
    /// <summary>The registry name docker uses for Hub in image references.</summary>
    public const string DockerHub = "docker.io";

    /// <summary>Where Hub's API really lives.</summary>
    public const string DockerHubApi = "registry-1.docker.io";

    /// <summary>The key docker stores Hub credentials under in config.json.</summary>
    public const string DockerHubCredentialKey = "https://index.docker.io/v1/";

    /// <summary>True for docker.io, index.docker.io, registry-1.docker.io and the v1 URL.</summary>
    public static bool IsDockerHub(string registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var host = ToHostname(registry);
        return host is "docker.io" or "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com";
    }

    /// <summary>The host[:port] to talk HTTP to for a registry name.</summary>
    public static string ApiHost(string registry) => IsDockerHub(registry) ? DockerHubApi : ToHostname(registry);

    /// <summary>The key credentials are filed under (docker's convention: Hub's v1 URL, else host[:port]).</summary>
    public static string CredentialKey(string registry) => IsDockerHub(registry) ? DockerHubCredentialKey : ToHostname(registry);

    /// <summary>Strips a scheme and path as docker's convertToHostname does: "https://x:5000/v1/" becomes "x:5000".</summary>
    public static string ToHostname(string server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var s = server.Trim();
        if (s.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            s = s[7..];
        }
        else if (s.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            s = s[8..];
        }

        var slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            s = s[..slash];
        }

        return s.ToLowerInvariant();
    }

    /// <summary>The host part of host[:port] (IPv6 in brackets kept without brackets).</summary>
    public static string HostOnly(string hostAndPort)
    {
        ArgumentNullException.ThrowIfNull(hostAndPort);
        if (hostAndPort.StartsWith('['))
        {
            var close = hostAndPort.IndexOf(']', StringComparison.Ordinal);
            return close > 0 ? hostAndPort[1..close] : hostAndPort;
        }

        var colon = hostAndPort.LastIndexOf(':');
        return colon > 0 ? hostAndPort[..colon] : hostAndPort;
    }

    /// <summary>localhost, 127.0.0.0/8 and ::1 are insecure by default, as docker treats them.</summary>
    public static bool IsLoopback(string hostAndPort)
    {
        var host = HostOnly(ToHostname(hostAndPort));
        if (host is "localhost" || host.EndsWith(".localhost", StringComparison.Ordinal))
        {
            return true;
        }

        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }
}
