// Owns: reading one extended attribute with lgetxattr(2) (opaque-directory checks in layer dirs).
using System.Runtime.InteropServices;

namespace Gantry.Build.Native;

public static partial class Xattr
{
    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint LGetXattr(string path, string name, byte* value, nuint size);

    /// <summary>The attribute's value, or null when the file has no such attribute.</summary>
    public static unsafe byte[]? Get(string path, string name)
    {
        byte* buffer = stackalloc byte[256];
        var n = LGetXattr(path, name, buffer, 256);
        return n < 0 ? null : new ReadOnlySpan<byte>(buffer, (int)n).ToArray();
    }
}
