// Owns: the gantry0 bridge (10.89.0.0/24, NAT to the outside), per-container network namespaces with a veth pair, IP allocation.
using System.Globalization;
using Gantry.Oci;

namespace Gantry.Runtime.Network;

/// <summary>A container's attachment to the bridge: its namespace (a file under /run/netns) and address.</summary>
public sealed record BridgeAttachment(string NamespaceName, string NamespacePath, string IpAddress, string Gateway, string HostVeth)
{
    public int PrefixLength => 24;
}

public static class BridgeNetwork
{
    public const string BridgeName = "gantry0";
    public const string Gateway = "10.89.0.1";
    public const string Subnet = "10.89.0.0/24";
    private const string AllocationDir = "/run/gantry/net/ip";

    /// <summary>Makes the bridge (once), then a namespace with a veth into it and a free address for the container.</summary>
    public static async Task<BridgeAttachment> AttachAsync(string containerId, CancellationToken cancellationToken)
    {
        await EnsureBridgeAsync(cancellationToken).ConfigureAwait(false);
        var ns = "gantry-" + containerId[..Math.Min(12, containerId.Length)];
        var veth = "gv" + containerId[..Math.Min(10, containerId.Length)];
        var ip = AllocateIp(containerId);
        try
        {
            await HostCommand.TryRunAsync("ip", cancellationToken, "netns", "del", ns).ConfigureAwait(false);
            await HostCommand.RunAsync("ip", cancellationToken, "netns", "add", ns).ConfigureAwait(false);
            await HostCommand.RunAsync("ip", cancellationToken, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns).ConfigureAwait(false);
            await HostCommand.RunAsync("ip", cancellationToken, "link", "set", veth, "master", BridgeName, "up").ConfigureAwait(false);
            await HostCommand.RunAsync("ip", cancellationToken, "-n", ns, "addr", "add", ip + "/24", "dev", "eth0").ConfigureAwait(false);
            await HostCommand.RunAsync("ip", cancellationToken, "-n", ns, "link", "set", "eth0", "up").ConfigureAwait(false);
            await HostCommand.RunAsync("ip", cancellationToken, "-n", ns, "link", "set", "lo", "up").ConfigureAwait(false);
            await HostCommand.RunAsync("ip", cancellationToken, "-n", ns, "route", "add", "default", "via", Gateway).ConfigureAwait(false);
            return new BridgeAttachment(ns, "/run/netns/" + ns, ip, Gateway, veth);
        }
        catch
        {
            await HostCommand.TryRunAsync("ip", CancellationToken.None, "netns", "del", ns).ConfigureAwait(false);
            ReleaseIp(ip, containerId);
            throw;
        }
    }

    /// <summary>Removes the namespace (and with it the veth pair) and frees the address. Safe to call twice.</summary>
    public static async Task DetachAsync(BridgeAttachment attachment, string containerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        await HostCommand.TryRunAsync("ip", cancellationToken, "netns", "del", attachment.NamespaceName).ConfigureAwait(false);
        await HostCommand.TryRunAsync("ip", cancellationToken, "link", "del", attachment.HostVeth).ConfigureAwait(false);
        ReleaseIp(attachment.IpAddress, containerId);
    }

    private static async Task EnsureBridgeAsync(CancellationToken cancellationToken)
    {
        var (exists, _) = await HostCommand.TryRunAsync("ip", cancellationToken, "link", "show", BridgeName).ConfigureAwait(false);
        if (exists != 0)
        {
            var (added, output) = await HostCommand.TryRunAsync("ip", cancellationToken, "link", "add", BridgeName, "type", "bridge").ConfigureAwait(false);
            if (added != 0 && !output.Contains("exists", StringComparison.OrdinalIgnoreCase))
            {
                throw new GantryException($"cannot create the bridge {BridgeName}: {output.Trim()} (use --network host instead)");
            }

            await HostCommand.TryRunAsync("ip", cancellationToken, "addr", "add", Gateway + "/24", "dev", BridgeName).ConfigureAwait(false);
        }

        await HostCommand.RunAsync("ip", cancellationToken, "link", "set", BridgeName, "up").ConfigureAwait(false);
        try
        {
            await File.WriteAllTextAsync("/proc/sys/net/ipv4/ip_forward", "1", cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        await EnsureRuleAsync(cancellationToken, "-t", "nat", "POSTROUTING", "-s", Subnet, "!", "-o", BridgeName, "-j", "MASQUERADE").ConfigureAwait(false);
        await EnsureRuleAsync(cancellationToken, "-t", "filter", "FORWARD", "-i", BridgeName, "-j", "ACCEPT").ConfigureAwait(false);
        await EnsureRuleAsync(cancellationToken, "-t", "filter", "FORWARD", "-o", BridgeName, "-j", "ACCEPT").ConfigureAwait(false);
    }

    private static async Task EnsureRuleAsync(CancellationToken cancellationToken, string t, string table, string chain, params string[] rule)
    {
        var (check, _) = await HostCommand.TryRunAsync("iptables", cancellationToken, ["-w", t, table, "-C", chain, .. rule]).ConfigureAwait(false);
        if (check != 0)
        {
            // Outbound NAT is best effort: published ports are forwarded in user space and do not need it.
            await HostCommand.TryRunAsync("iptables", cancellationToken, ["-w", t, table, "-A", chain, .. rule]).ConfigureAwait(false);
        }
    }

    private static string AllocateIp(string containerId)
    {
        Directory.CreateDirectory(AllocationDir);
        for (var host = 2; host < 255; host++)
        {
            var ip = "10.89.0." + host.ToString(CultureInfo.InvariantCulture);
            var file = Path.Combine(AllocationDir, ip);
            if (File.Exists(file))
            {
                var owner = File.ReadAllText(file).Trim();
                var ns = "/run/netns/gantry-" + owner[..Math.Min(12, owner.Length)];
                if (owner.Length > 0 && (File.Exists(ns) || File.GetLastWriteTimeUtc(file) > DateTime.UtcNow.AddMinutes(-1)))
                {
                    continue;
                }

                File.Delete(file); // stale: its namespace is gone
            }

            try
            {
                using var fs = new FileStream(file, FileMode.CreateNew, FileAccess.Write);
                fs.Write(System.Text.Encoding.UTF8.GetBytes(containerId));
                return ip;
            }
            catch (IOException)
            {
            }
        }

        throw new GantryException($"no free address left on the {BridgeName} network ({Subnet}): remove stopped containers with 'gantry container prune'");
    }

    private static void ReleaseIp(string ip, string containerId)
    {
        var file = Path.Combine(AllocationDir, ip);
        try
        {
            if (File.Exists(file) && File.ReadAllText(file).Trim() == containerId)
            {
                File.Delete(file);
            }
        }
        catch (IOException)
        {
        }
    }
}
