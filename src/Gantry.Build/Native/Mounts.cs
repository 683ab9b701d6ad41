// Owns: mount(2)/umount2(2) for the overlay a RUN step runs on, and for read-only views of a stage's layers.
using System.Runtime.InteropServices;
using Gantry.Oci;

namespace Gantry.Build.Native;

public static partial class Mounts
{
    private const int MntDetach = 2;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string fstype, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);

    /// <summary>
    /// Mounts an overlay of <paramref name="lowerTopFirst"/> at <paramref name="target"/>; read-only when no upper dir is given.
    /// A writable one (a RUN step's, mounted once, then diffed and adopted as a layer that the snapshot store's boot-id mark
    /// protects) is mounted <c>volatile</c> where the kernel has it (Linux 5.10+): otherwise unmounting it syncs the whole
    /// upper filesystem, and the step waits for every dirty page on the disk, e.g. a base image pulled just before.
    /// </summary>
    public static void MountOverlay(IReadOnlyList<string> lowerTopFirst, string? upper, string? work, string target)
    {
        ArgumentNullException.ThrowIfNull(lowerTopFirst);
        var options = $"lowerdir={string.Join(':', lowerTopFirst)}";
        if (upper is not null)
        {
            options += $",upperdir={upper},workdir={work}";
        }

        if (options.Length > 4000)
        {
            throw new GantryException($"too many layers ({lowerTopFirst.Count}) for one overlay mount: squash the base image or use fewer RUN/COPY steps");
        }

        if (upper is not null && Mount("overlay", target, "overlay", 0UL, options + ",volatile") == 0)
        {
            return;
        }

        if (Mount("overlay", target, "overlay", upper is null ? 1UL : 0UL, options) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new GantryException($"cannot mount the overlay filesystem for a build step at {target} (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}); gantry build needs root and overlayfs");
        }
    }

    public static void Unmount(string target)
    {
        if (Umount2(target, 0) != 0)
        {
            Umount2(target, MntDetach);
        }
    }
}
