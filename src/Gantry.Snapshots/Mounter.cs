// Owns: mounting and unmounting snapshot mount specs with mount(2)/umount2(2).
using Gantry.Oci;
using Gantry.Snapshots.Native;

namespace Gantry.Snapshots;

/// <summary>Mounts a <see cref="MountSpec"/> at a directory and unmounts it again (root only).</summary>
public static class Mounter
{
    /// <summary>Mounts <paramref name="spec"/> on <paramref name="target"/> (created when missing).</summary>
    public static void Mount(MountSpec spec, string target)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrEmpty(target);
        Directory.CreateDirectory(target);
        if (spec.Kind == MountKind.Overlay)
        {
            var data = spec.Data;
            if (data.Length >= 4000)
            {
                throw new GantryException($"the overlay mount options for snapshot '{spec.Key}' are {data.Length} bytes, more than the kernel's page-size limit; use a shorter store root (--root).");
            }

            if (Libc.Mount("overlay", target, "overlay", spec.ReadOnly ? Libc.MsRdOnly : 0, data) != 0)
            {
                var errno = Libc.LastError;
                throw new GantryException($"cannot mount the overlay for snapshot '{spec.Key}' on {target}: {Libc.ErrorText(errno)} (options: {data}).");
            }

            return;
        }

        var source = spec.Source ?? throw new GantryException($"snapshot '{spec.Key}' has no source directory to bind-mount.");
        if (Libc.Mount(source, target, null, Libc.MsBind | Libc.MsRec, null) != 0)
        {
            throw new GantryException($"cannot bind-mount snapshot '{spec.Key}' ({source}) on {target}: {Libc.ErrorText(Libc.LastError)}.");
        }

        if (spec.ReadOnly && Libc.Mount(source, target, null, Libc.MsBind | Libc.MsRemount | Libc.MsRdOnly, null) != 0)
        {
            var errno = Libc.LastError;
            Libc.Umount2(target, Libc.MntDetach);
            throw new GantryException($"cannot make the bind mount of snapshot '{spec.Key}' on {target} read-only: {Libc.ErrorText(errno)}.");
        }
    }

    /// <summary>Unmounts <paramref name="target"/>; with <paramref name="detach"/> lazily (MNT_DETACH). Not mounted is not an error.</summary>
    /// <remarks>
    /// EBUSY is retried for up to about two seconds, as containerd does: a process that briefly looks into the mount
    /// (another build's file walk, a short-lived child) makes the kernel refuse an unmount that succeeds a moment later.
    /// </remarks>
    public static void Unmount(string target, bool detach = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        const int attempts = 50;
        for (var attempt = 1; ; attempt++)
        {
            if (Libc.Umount2(target, detach ? Libc.MntDetach : 0) == 0)
            {
                return;
            }

            var errno = Libc.LastError;
            if (errno is Libc.EINVAL or Libc.ENOENT)
            {
                return; // not a mount point / gone
            }

            if (errno != Libc.EBUSY || attempt == attempts)
            {
                throw new GantryException($"cannot unmount {target}: {Libc.ErrorText(errno)}; stop whatever still uses it, or retry.");
            }

            Thread.Sleep(40);
        }
    }

    /// <summary>True when <paramref name="path"/> is a mount point (per /proc/self/mountinfo).</summary>
    public static bool IsMountPoint(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) == full)
            {
                return true;
            }
        }

        return false;
    }

    private static string Unescape(string s) => s.Contains('\\', StringComparison.Ordinal)
        ? s.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal).Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal)
        : s;
}
