// Owns: listing and reading extended attributes of a path (no symlink following).
using System.Text;
using Gantry.Snapshots.Native;

namespace Gantry.Snapshots;

internal static unsafe class Xattrs
{
    /// <summary>All xattrs of <paramref name="path"/> (raw values), or null when there are none.</summary>
    public static SortedDictionary<string, byte[]>? Read(string path, Func<string, bool>? keep = null)
    {
        var size = Libc.Llistxattr(path, null, 0);
        if (size <= 0)
        {
            return null;
        }

        var list = new byte[size + 256];
        fixed (byte* p = list)
        {
            size = Libc.Llistxattr(path, p, list.Length);
        }

        if (size <= 0)
        {
            return null;
        }

        SortedDictionary<string, byte[]>? result = null;
        foreach (var name in Encoding.UTF8.GetString(list, 0, (int)size).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            if (keep is not null && !keep(name))
            {
                continue;
            }

            var value = Get(path, name);
            if (value is not null)
            {
                result ??= new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
                result[name] = value;
            }
        }

        return result;
    }

    /// <summary>Sets an xattr without following symlinks; returns 0 or the errno.</summary>
    public static int Set(string path, string name, byte[] value)
    {
        fixed (byte* v = value)
        {
            return Libc.Lsetxattr(path, name, v, value.Length, 0) == 0 ? 0 : Libc.LastError;
        }
    }

    public static byte[]? Get(string path, string name)
    {
        var n = Libc.Lgetxattr(path, name, null, 0);
        if (n < 0)
        {
            return null;
        }

        var value = new byte[n];
        if (n == 0)
        {
            return value;
        }

        fixed (byte* v = value)
        {
            n = Libc.Lgetxattr(path, name, v, value.Length);
        }

        return n < 0 ? null : value[..(int)n];
    }
}
