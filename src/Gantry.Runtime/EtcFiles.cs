// Owns: writing a container's own /etc/hosts, /etc/hostname and /etc/resolv.conf (bind-mounted, never written into the image).
using System.Text;

namespace Gantry.Runtime;

internal static class EtcFiles
{
    public static void Write(string dir, RunSpec spec, string? containerIp)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "hostname"), spec.Hostname + "\n");
        File.WriteAllText(Path.Combine(dir, "hosts"), Hosts(spec, containerIp));
        File.WriteAllText(Path.Combine(dir, "resolv.conf"), ResolvConf(spec));
    }

    private static string Hosts(RunSpec spec, string? containerIp)
    {
        var sb = new StringBuilder();
        if (spec.Network == NetworkMode.Host && File.Exists("/etc/hosts"))
        {
            sb.Append(File.ReadAllText("/etc/hosts"));
            if (sb.Length > 0 && sb[^1] != '\n')
            {
                sb.Append('\n');
            }
        }
        else
        {
            sb.Append("127.0.0.1\tlocalhost\n");
            sb.Append("::1\tlocalhost ip6-localhost ip6-loopback\n");
            sb.Append("fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
        }

        foreach (var (host, ip) in spec.ExtraHosts)
        {
            sb.Append(ip).Append('\t').Append(host).Append('\n');
        }

        if (containerIp is not null)
        {
            sb.Append(containerIp).Append('\t').Append(spec.Hostname).Append('\n');
        }

        return sb.ToString();
    }

    private static string ResolvConf(RunSpec spec)
    {
        var hostLines = File.Exists("/etc/resolv.conf") ? File.ReadAllLines("/etc/resolv.conf") : [];
        var sb = new StringBuilder();
        var servers = new List<string>();
        if (spec.Dns.Count > 0)
        {
            servers.AddRange(spec.Dns);
        }
        else
        {
            foreach (var line in hostLines)
            {
                var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (f.Length >= 2 && f[0] == "nameserver")
                {
                    // A loopback resolver of the host cannot be reached from another network namespace.
                    if (spec.Network == NetworkMode.Host || !(f[1].StartsWith("127.", StringComparison.Ordinal) || f[1] == "::1"))
                    {
                        servers.Add(f[1]);
                    }
                }
            }

            if (servers.Count == 0 && spec.Network != NetworkMode.Host)
            {
                servers.AddRange(["8.8.8.8", "8.8.4.4"]);
            }
        }

        foreach (var line in hostLines)
        {
            var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 2 && f[0] is "search" or "domain" or "options")
            {
                sb.Append(line).Append('\n');
            }
        }

        foreach (var s in servers)
        {
            sb.Append("nameserver ").Append(s).Append('\n');
        }

        return sb.ToString();
    }
}
