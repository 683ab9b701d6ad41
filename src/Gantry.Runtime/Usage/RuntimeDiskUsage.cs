// Owns: read-only disk usage of containers (writable layers) and volumes for `system df`; never changes any state.
using System.IO.Enumeration;
using Gantry.Runtime.State;
using Gantry.Runtime.Volumes;

namespace Gantry.Runtime.Usage;

/// <summary>One container as `docker system df -v` lists it.</summary>
/// <param name="Container">The container's record.</param>
/// <param name="Running">True when its process is alive.</param>
/// <param name="SizeRw">Bytes in its writable layer (the overlay upper dir, or its own copied rootfs).</param>
/// <param name="LocalVolumes">How many named volumes it mounts.</param>
public sealed record ContainerUsage(ContainerRecord Container, bool Running, long SizeRw, int LocalVolumes);

/// <summary>One volume: how many containers (any state) mount it, and the bytes in its data folder.</summary>
public sealed record VolumeUsage(VolumeRecord Volume, int Links, long Size);

/// <summary>
/// Measures what containers and volumes take on disk, reading only the public stores (<see cref="ContainerStore"/>,
/// <see cref="VolumeStore"/>) and the folders they name. Sizes are the sum of the sizes of the non-directory entries,
/// symlinks not followed, as docker's directory.Size does.
/// </summary>
public static class RuntimeDiskUsage
{
    public static IReadOnlyList<ContainerUsage> Containers(ContainerStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var result = new List<ContainerUsage>();
        foreach (var record in store.List())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var writable = record.RootfsMount switch
            {
                { Kind: "overlay", UpperDir: { } upper } => upper,
                { Kind: "bind", Source: { } source } => source,
                _ => null,
            };
            var size = writable is null ? 0 : DirectorySize(writable, cancellationToken);
            var volumes = record.Spec.Mounts.Count(m => m.Kind == MountKind.Volume || m.VolumeName is not null);
            result.Add(new ContainerUsage(record, ContainerStore.IsRunning(record), size, volumes));
        }

        return result;
    }

    public static IReadOnlyList<VolumeUsage> Volumes(VolumeStore volumes, IReadOnlyList<ContainerRecord> containers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(volumes);
        ArgumentNullException.ThrowIfNull(containers);
        var result = new List<VolumeUsage>();
        foreach (var volume in volumes.List())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var links = containers.Count(c => c.Spec.Mounts.Any(m => m.VolumeName == volume.Name));
            result.Add(new VolumeUsage(volume, links, DirectorySize(volume.Mountpoint, cancellationToken)));
        }

        return result;
    }

    /// <summary>The bytes of every non-directory entry under <paramref name="path"/> (0 when it does not exist); symlinks are not followed.</summary>
    public static long DirectorySize(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Directory.Exists(path))
        {
            return 0;
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0, ReturnSpecialDirectories = false };
        var sizes = new FileSystemEnumerable<long>(path, (ref FileSystemEntry entry) => entry.IsDirectory ? 0 : entry.Length, options)
        {
            ShouldRecursePredicate = (ref FileSystemEntry entry) => (entry.Attributes & FileAttributes.ReparsePoint) == 0,
        };
        long total = 0;
        foreach (var size in sizes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            total += size;
        }

        return total;
    }
}
