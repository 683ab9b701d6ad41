// Owns: PortMapping, one published port (docker -p [IP:]HOST:CTR[/proto]) and its parser.
using System.Globalization;
using Gantry.Oci;

namespace Gantry.Runtime;

public sealed record PortMapping(string HostIp, int HostPort, int ContainerPort, string Protocol)
{
    public override string ToString() => $"{(HostIp.Length == 0 ? "0.0.0.0" : HostIp)}:{HostPort}->{ContainerPort}/{Protocol}";

    /// <summary>Parses docker's -p forms: CTR, HOST:CTR, IP:HOST:CTR, IP::CTR, each with an optional /tcp or /udp.</summary>
    public static PortMapping Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var proto = "tcp";
        var body = text;
        var slash = text.LastIndexOf('/');
        if (slash >= 0)
        {
            proto = text[(slash + 1)..].ToLowerInvariant();
            body = text[..slash];
            if (proto is not ("tcp" or "udp"))
            {
                throw new GantryException($"invalid port publication '{text}': the protocol must be tcp or udp");
            }
        }

        var parts = body.Split(':');
        string ip = "";
        string host;
        string ctr;
        switch (parts.Length)
        {
            case 1:
                host = "";
                ctr = parts[0];
                break;
            case 2:
                host = parts[0];
                ctr = parts[1];
                break;
            case 3:
                ip = parts[0];
                host = parts[1];
                ctr = parts[2];
                break;
            default:
                throw new GantryException($"invalid port publication '{text}': use [IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]");
        }

        var containerPort = ParsePort(ctr, text);
        var hostPort = host.Length == 0 ? 0 : ParsePort(host, text);
        return new PortMapping(ip, hostPort, containerPort, proto);
    }

    private static int ParsePort(string value, string text) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new GantryException($"invalid port publication '{text}': '{value}' is not a port number between 1 and 65535");
}
