// Owns: giving `cp` a container's filesystem: /proc/PID/root of a running container, or its rootfs (plus volumes) mounted for the copy.
using System.Globalization;
using Gantry.Oci;
using Gantry.Runtime.State;

namespace Gantry.Runtime.Copy;

/// <summary>
/// A container's filesystem as a <see cref="FsRoot"/>. A running container is reached through /proc/PID/root, so its bind-mounted
/// volumes and tmpfs are seen (and written through) as the container sees them. A stopped one gets its rootfs overlay mounted and
/// its bind mounts and volumes bound on top for the copy; disposing undoes exactly what was mounted here.
/// </summary>
public sealed class ContainerFilesystem : IDisposable
{
    private readonly ContainerStore store;
    private readonly ContainerRecord record;
    private readonly List<string> boundHere = [];
    private bool mountedRootfs;

    private ContainerFilesystem(ContainerStore store, ContainerRecord record, FsRoot root)
    {
        this.store = store;
        this.record = record;
        Root = root;
    }

    public FsRoot Root { get; private set; }

    /// <summary>Opens <paramref name="record"/>'s filesystem for a copy.</summary>
    public static ContainerFilesystem Open(ContainerStore store, ContainerRecord record)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(record);
        var display = record.Name.Length > 0 ? record.Name : record.ShortId;
        if (ContainerStore.IsRunning(record) && record.State.Pid > 0)
        {
            var procRoot = $"/proc/{record.State.Pid.ToString(CultureInfo.InvariantCulture)}/root";
            if (Directory.Exists(procRoot + "/"))
            {
                return new ContainerFilesystem(store, record, new FsRoot(procRoot, display, isContainer: true));
            }
        }

        var fs = new ContainerFilesystem(store, record, FsRoot.Host);
        try
        {
            fs.MountStopped(display);
        }
        catch
        {
            fs.Dispose();
            throw;
        }

        return fs;
    }

    private void MountStopped(string display)
    {
        string rootDir;
        if (record.RootfsMount is not null)
        {
            rootDir = store.RootfsDir(record.Id);
            if (!Gantry.Snapshots.Mounter.IsMountPoint(rootDir))
            {
                store.MountRootfs(record);
                mountedRootfs = true;
            }
        }
        else
        {
            rootDir = record.Spec.RootfsPath;
        }

        if (!Directory.Exists(rootDir))
        {
            throw new GantryException($"the root filesystem of container {display} is missing ({rootDir}): remove the container and create it again");
        }

        Root = new FsRoot(rootDir, display, isContainer: true);
        foreach (var m in record.Spec.Mounts)
        {
            if (m.Kind is not (MountKind.Bind or MountKind.Volume) || !Path.Exists(m.Source))
            {
                continue;
            }

            var target = Root.Resolve(m.Target, followLast: true);
            var sourceIsDir = Directory.Exists(m.Source);
            var targetKind = FsRoot.KindOf(target);
            if (sourceIsDir ? targetKind != FsKind.Directory : targetKind != FsKind.File)
            {
                continue; // never started: no mount point yet, so nothing of it is visible (as in docker before the first start)
            }

            if (CopyNative.Mount(m.Source, target, null, CopyNative.MS_BIND | CopyNative.MS_REC, null) != 0)
            {
                throw new GantryException($"cannot mount {m.Source} at {m.Target} of container {display} for the copy: {CopyNative.LastError()}");
            }

            boundHere.Add(target);
            if (m.ReadOnly)
            {
                CopyNative.Mount(m.Source, target, null, CopyNative.MS_BIND | CopyNative.MS_REMOUNT | CopyNative.MS_RDONLY, null);
            }
        }
    }

    public void Dispose()
    {
        for (var i = boundHere.Count - 1; i >= 0; i--)
        {
            if (CopyNative.Umount2(boundHere[i], 0) != 0)
            {
                CopyNative.Umount2(boundHere[i], 2 /* MNT_DETACH */);
            }
        }

        boundHere.Clear();
        if (mountedRootfs)
        {
            mountedRootfs = false;
            if (store.TryGet(record.Id) is { } current && !ContainerStore.IsRunning(current))
            {
                store.UnmountRootfs(record);
            }
        }
    }
}
