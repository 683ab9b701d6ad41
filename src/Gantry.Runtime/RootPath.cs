// Owns: resolving a path inside a container root the way the kernel would from inside it: symlinks followed but confined to the root.
using Gantry.Oci;

namespace Gantry.Runtime;

public static class RootPath
{
    /// <summary>
    /// Joins <paramref name="containerPath"/> onto <paramref name="root"/>, following symlinks as if chrooted at root:
    /// absolute link targets restart at root and ".." never climbs above it. The last component is followed too
    /// unless <paramref name="followLast"/> is false. Missing components are kept as they are.
    /// </summary>
    public static string Resolve(string root, string containerPath, bool followLast = true)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(containerPath);
        var rootFull = Path.GetFullPath(root).TrimEnd('/');
        var pending = new Stack<string>();
        PushComponents(pending, containerPath);
        var resolved = new List<string>();
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var candidate = rootFull + "/" + string.Join('/', resolved.Append(part));
            var isLast = pending.Count == 0 || pending.All(p => p.Length == 0 || p == ".");
            FileSystemInfo info = new FileInfo(candidate);
            if (info.Exists || Directory.Exists(candidate))
            {
                info = Directory.Exists(candidate) && info.LinkTarget is null ? new DirectoryInfo(candidate) : info;
            }

            var target = info.LinkTarget;
            if (target is not null && (followLast || !isLast))
            {
                if (++links > 255)
                {
                    throw new GantryException($"too many levels of symbolic links resolving '{containerPath}' inside the container");
                }

                if (target.StartsWith('/'))
                {
                    resolved.Clear();
                }

                PushComponents(pending, target);
                continue;
            }

            resolved.Add(part);
        }

        return resolved.Count == 0 ? rootFull : rootFull + "/" + string.Join('/', resolved);
    }

    private static void PushComponents(Stack<string> pending, string path)
    {
        var parts = path.Split('/');
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            pending.Push(parts[i]);
        }
    }
}
