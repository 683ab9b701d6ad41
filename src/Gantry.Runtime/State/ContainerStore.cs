// Owns: $ROOT/containers: one folder per container (container.json, bundle/, rootfs/, <id>-json.log), names, lookup, locked updates.
using System.Text.Json;
using Gantry.Oci;
using Gantry.Runtime.Native;
using Gantry.Runtime.Spec;
using Gantry.Snapshots;

namespace Gantry.Runtime.State;

public sealed class ContainerStore
{
    public ContainerStore(string storeRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(storeRoot);
        StoreRoot = Path.GetFullPath(storeRoot);
        Root = Path.Combine(StoreRoot, "containers");
        Directory.CreateDirectory(Root);
    }

    /// <summary>The gantry store root ($GANTRY_ROOT).</summary>
    public string StoreRoot { get; }

    /// <summary>$ROOT/containers.</summary>
    public string Root { get; }

    public string Dir(string id) => Path.Combine(Root, id);

    public string RecordPath(string id) => Path.Combine(Dir(id), "container.json");

    public string BundleDir(string id) => Path.Combine(Dir(id), "bundle");

    public string RootfsDir(string id) => Path.Combine(Dir(id), "rootfs");

    /// <summary>The monitor's attach socket (see <see cref="Monitor.AttachProtocol"/>).</summary>
    public string AttachSocketPath(string id) => Path.Combine(Dir(id), Monitor.AttachProtocol.SocketName);

    public string LogPath(string id) => Path.Combine(Dir(id), id + "-json.log");

    /// <summary>Creates the container's folder and record; fails with docker's message when the name is taken.</summary>
    public ContainerRecord Create(ContainerRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var gate = Lock();
        var existing = List();
        if (record.Name.Length == 0)
        {
            do
            {
                record.Name = NameGenerator.Generate();
            }
            while (existing.Any(c => c.Name == record.Name));
        }
        else
        {
            ValidateName(record.Name);
            var clash = existing.FirstOrDefault(c => c.Name == record.Name);
            if (clash is not null)
            {
                throw new GantryException($"Conflict. The container name \"/{record.Name}\" is already in use by container \"{clash.Id}\". You have to remove (or rename) that container to be able to reuse that name.") { ExitCode = 125 };
            }
        }

        Directory.CreateDirectory(Dir(record.Id));
        Write(record);
        return record;
    }

    public static void ValidateName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetterOrDigit(name[0])) || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')))
        {
            throw new GantryException($"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed") { ExitCode = 125 };
        }
    }

    public void Rename(string idOrName, string newName)
    {
        ValidateName(newName);
        using var gate = Lock();
        var record = Get(idOrName);
        var clash = List().FirstOrDefault(c => c.Name == newName && c.Id != record.Id);
        if (clash is not null)
        {
            throw new GantryException($"Error when allocating new name: Conflict. The container name \"/{newName}\" is already in use by container \"{clash.Id}\". You have to remove (or rename) that container to be able to reuse that name.");
        }

        record.Name = newName;
        Write(record);
    }

    /// <summary>Finds a container by full ID, name, or unique ID prefix.</summary>
    public ContainerRecord? TryGet(string idOrName)
    {
        ArgumentNullException.ThrowIfNull(idOrName);
        var key = idOrName.TrimStart('/');
        if (key.Length == 0)
        {
            return null;
        }

        if (key.Length == 64 && File.Exists(RecordPath(key)))
        {
            return Read(key);
        }

        var all = List();
        var byName = all.FirstOrDefault(c => c.Name == key);
        if (byName is not null)
        {
            return byName;
        }

        var byPrefix = all.Where(c => c.Id.StartsWith(key, StringComparison.Ordinal)).ToList();
        if (byPrefix.Count > 1)
        {
            throw new GantryException($"multiple containers match the ID prefix '{key}': give more characters of the ID");
        }

        return byPrefix.FirstOrDefault();
    }

    public ContainerRecord Get(string idOrName) =>
        TryGet(idOrName) ?? throw new ContentNotFoundException($"No such container: {idOrName}");

    /// <summary>Every container, newest first.</summary>
    public List<ContainerRecord> List()
    {
        var result = new List<ContainerRecord>();
        foreach (var dir in Directory.EnumerateDirectories(Root))
        {
            var id = Path.GetFileName(dir);
            if (id.StartsWith('.') || !File.Exists(RecordPath(id)))
            {
                continue;
            }

            var r = Read(id);
            if (r is not null)
            {
                result.Add(r);
            }
        }

        return result.OrderByDescending(r => r.Created).ToList();
    }

    /// <summary>Reads, changes and writes a record under the store lock; returns the new record.</summary>
    public ContainerRecord Update(string id, Action<ContainerRecord> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        using var gate = Lock();
        var r = Read(id) ?? throw new ContentNotFoundException($"No such container: {id}");
        change(r);
        Write(r);
        return r;
    }

    /// <summary>Removes the container's folder (the caller has stopped it and unmounted its rootfs).</summary>
    public void Delete(string id)
    {
        var dir = Dir(id);
        if (!Directory.Exists(dir))
        {
            return;
        }

        if (Mounter.IsMountPoint(RootfsDir(id)))
        {
            Mounter.Unmount(RootfsDir(id), detach: true);
        }

        var trash = Path.Combine(Root, ".trash-" + id);
        Directory.Move(dir, trash);
        Directory.Delete(trash, recursive: true);
    }

    /// <summary>True when the record says running and its monitor process is alive.</summary>
    public static bool IsRunning(ContainerRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.State.Status is "running" or "restarting" && (r.State.MonitorPid == 0 || Libc.ProcessExists(r.State.MonitorPid));
    }

    /// <summary>Mounts the container's rootfs at RootfsDir (when it has a snapshot mount and is not mounted yet).</summary>
    public void MountRootfs(ContainerRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.RootfsMount is null)
        {
            return;
        }

        var target = RootfsDir(r.Id);
        Directory.CreateDirectory(target);
        if (!Mounter.IsMountPoint(target))
        {
            Mounter.Mount(r.RootfsMount.ToMountSpec(), target);
        }
    }

    public void UnmountRootfs(ContainerRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var target = RootfsDir(r.Id);
        if (r.RootfsMount is not null && Directory.Exists(target) && Mounter.IsMountPoint(target))
        {
            try
            {
                Mounter.Unmount(target);
            }
            catch (GantryException)
            {
                Mounter.Unmount(target, detach: true);
            }
        }
    }

    private ContainerRecord? Read(string id)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(RecordPath(id)), RuntimeJsonContext.Default.ContainerRecord);
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null;
        }
    }

    private void Write(ContainerRecord r)
    {
        var path = RecordPath(r.Id);
        var tmp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(r, RuntimeJsonContext.Default.ContainerRecord));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// An exclusive flock(2) on containers/.lock, taken explicitly: the CLI runs with .NET's implicit FileStream
    /// locking switched off (System.IO.DisableFileLocking), so FileShare.None would no longer exclude other processes.
    /// </summary>
    private ContainerLock Lock()
    {
        var path = Path.Combine(Root, ".lock");
        var fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0b110_100_100);
        if (fd < 0)
        {
            throw new GantryException($"cannot open the container lock {path}: {Libc.LastError()}; check the store root is writable.");
        }

        while (Libc.Flock(fd, Libc.LOCK_EX) != 0)
        {
            if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != Libc.EINTR)
            {
                var error = Libc.LastError();
                _ = Libc.Close(fd);
                throw new GantryException($"cannot lock {path}: {error}; check the store root is on a local file system that supports flock.");
            }
        }

        return new ContainerLock(fd);
    }

    private sealed class ContainerLock(int fd) : IDisposable
    {
        public void Dispose() => _ = Libc.Close(fd);
    }
}
