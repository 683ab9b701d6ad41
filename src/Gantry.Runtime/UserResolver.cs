// Owns: resolving docker's USER[:GROUP] against the image's /etc/passwd and /etc/group (names or numbers).
using System.Globalization;
using Gantry.Oci;

namespace Gantry.Runtime;

/// <summary>A resolved container user.</summary>
public sealed record ResolvedUser(uint Uid, uint Gid, IReadOnlyList<uint> AdditionalGids, string Home);

public static class UserResolver
{
    public static ResolvedUser Resolve(string rootfs, string? user)
    {
        ArgumentNullException.ThrowIfNull(rootfs);
        var spec = string.IsNullOrEmpty(user) ? "0" : user;
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        var userPart = colon >= 0 ? spec[..colon] : spec;
        var groupPart = colon >= 0 ? spec[(colon + 1)..] : null;
        var passwd = ReadEntries(rootfs, "/etc/passwd");
        var groups = ReadEntries(rootfs, "/etc/group");

        uint uid;
        uint gid = 0;
        var home = "/";
        string? userName = null;
        if (uint.TryParse(userPart, NumberStyles.None, CultureInfo.InvariantCulture, out uid))
        {
            var entry = passwd.FirstOrDefault(p => p.Length >= 4 && p[2] == userPart);
            if (entry is not null)
            {
                userName = entry[0];
                gid = ParseId(entry[3]);
                home = entry.Length > 5 && entry[5].Length > 0 ? entry[5] : "/";
            }
        }
        else
        {
            var entry = passwd.FirstOrDefault(p => p.Length >= 4 && p[0] == userPart)
                ?? throw new GantryException($"unable to find user {userPart}: no matching entries in passwd file");
            userName = entry[0];
            uid = ParseId(entry[2]);
            gid = ParseId(entry[3]);
            home = entry.Length > 5 && entry[5].Length > 0 ? entry[5] : "/";
        }

        if (groupPart is not null && groupPart.Length > 0)
        {
            if (!uint.TryParse(groupPart, NumberStyles.None, CultureInfo.InvariantCulture, out gid))
            {
                var g = groups.FirstOrDefault(e => e.Length >= 3 && e[0] == groupPart)
                    ?? throw new GantryException($"unable to find group {groupPart}: no matching entries in group file");
                gid = ParseId(g[2]);
            }
        }

        var extra = new List<uint>();
        if (userName is not null && groupPart is null)
        {
            foreach (var g in groups)
            {
                if (g.Length >= 4 && g[3].Split(',').Contains(userName, StringComparer.Ordinal))
                {
                    var id = ParseId(g[2]);
                    if (id != gid && !extra.Contains(id))
                    {
                        extra.Add(id);
                    }
                }
            }
        }

        if (uid == 0 && home == "/" && userName is null)
        {
            home = "/root";
        }

        return new ResolvedUser(uid, gid, extra, home);
    }

    private static uint ParseId(string text) => uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;

    private static List<string[]> ReadEntries(string rootfs, string path)
    {
        var file = RootPath.Resolve(rootfs, path);
        if (!File.Exists(file))
        {
            return [];
        }

        var info = new FileInfo(file);
        if (info.Length > 16 * 1024 * 1024)
        {
            return [];
        }

        return File.ReadAllLines(file)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(':'))
            .ToList();
    }
}
