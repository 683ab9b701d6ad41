// Owns: remembering which mount points the runtime will have to create inside a rootfs, and removing them afterwards (so builds leave no stubs).
namespace Gantry.Runtime;

internal sealed class MountStubs
{
    private readonly List<string> created = [];

    /// <summary>Records every destination (and missing parent) that does not exist yet in the rootfs.</summary>
    public static MountStubs Record(string rootfs, IEnumerable<string> destinations)
    {
        var stubs = new MountStubs();
        foreach (var dest in destinations)
        {
            var parts = dest.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var container = "";
            foreach (var part in parts)
            {
                container += "/" + part;
                var host = RootPath.Resolve(rootfs, container, followLast: false);
                if (!Path.Exists(host) && new FileInfo(host).LinkTarget is null)
                {
                    stubs.created.Add(container);
                    break; // everything below is missing too; removing the top removes them
                }
            }
        }

        return stubs;
    }

    /// <summary>Removes the recorded stubs when they are still empty (an empty file or an empty directory tree).</summary>
    public void Remove(string rootfs)
    {
        foreach (var container in created.Distinct().OrderByDescending(p => p.Length))
        {
            var host = RootPath.Resolve(rootfs, container, followLast: false);
            try
            {
                if (File.Exists(host) && new FileInfo(host).Length == 0)
                {
                    File.Delete(host);
                }
                else if (Directory.Exists(host) && IsEmptyTree(host))
                {
                    Directory.Delete(host, recursive: true);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static bool IsEmptyTree(string dir) =>
        Directory.EnumerateFiles(dir).All(f => new FileInfo(f).Length == 0 && new FileInfo(f).LinkTarget is null)
        && Directory.EnumerateDirectories(dir).All(IsEmptyTree);
}
