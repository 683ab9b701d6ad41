// Owns: the deterministic entry order of written layers: a depth-first walk with names sorted bytewise ('/' sorts first).
namespace Gantry.Snapshots;

internal sealed class PathOrder : IComparer<string>
{
    public static PathOrder Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var n = Math.Min(x.Length, y.Length);
        for (var i = 0; i < n; i++)
        {
            var a = x[i] == '/' ? '\0' : x[i];
            var b = y[i] == '/' ? '\0' : y[i];
            if (a != b)
            {
                return a < b ? -1 : 1;
            }
        }

        return x.Length.CompareTo(y.Length);
    }

    /// <summary>"./a//b/" → "a/b"; rejects ".." and empty results with a clear message.</summary>
    public static string Clean(string path, string what)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Count == 0 || parts.Contains(".."))
        {
            throw new Gantry.Oci.GantryException($"{what}: layer path '{path}' is empty or contains '..'; use a path inside the image.");
        }

        return string.Join('/', parts);
    }
}
