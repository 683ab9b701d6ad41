// Owns: applying tar entries to a directory with path confinement, whiteouts (overlay or delete), ownership, modes, xattrs, times.
using System.Text;
using Gantry.Oci;
using Gantry.Snapshots.Native;
using Gantry.Snapshots.Tar;

namespace Gantry.Snapshots;

internal sealed unsafe partial class TarApplier : IDisposable
{
    /// <summary>Files up to this size are buffered and finished (data, owner, mode, xattrs, times, close) by worker threads.</summary>
    internal const int ParallelFileLimit = 256 * 1024;

    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    private static readonly byte[] OpaqueValue = "y"u8.ToArray();

    private readonly string _root;
    private readonly ExtractOptions _options;
    private int _linked;
    private readonly string _what;
    private readonly bool _chown;
    private readonly bool _devices;
    private readonly bool _flatten;

    // A file created here already belongs to root:root when we are root with gid 0 and no setgid directory is above it,
    // which holds while unpacking into a fresh overlay-lower dir (directories get their tar modes only in Finish): then a
    // root:root file needs no fchown. Likewise a mode the umask leaves alone is given at create and needs no fchmod.
    private readonly bool _createdAsRoot;

    // Relative paths (no leading/trailing '/'; "" is the root) known to be real directories inside the root.
    private readonly HashSet<string> _knownDirs = new(StringComparer.Ordinal) { string.Empty };

    // Symlinks this archive created: no later entry may pass through them.
    private readonly HashSet<string> _plantedSymlinks = new(StringComparer.Ordinal);

    // Flatten mode: everything this layer created (an opaque dir keeps only these).
    private readonly HashSet<string> _created = new(StringComparer.Ordinal);

    private readonly List<(string Path, int Mode, long Sec, int Nsec)> _dirs = [];

    // Parallel path: the security decisions (path resolution, O_EXCL|O_NOFOLLOW create) stay on this thread; workers only
    // write into file descriptors already opened here.
    private readonly FileWorkers? _workers;

    public TarApplier(string root, ExtractOptions options, string what)
    {
        _root = root;
        _options = options;
        _what = what;
        _chown = options.PreserveOwnership && Libc.IsRoot;
        _devices = options.CreateDevices && Libc.IsRoot;
        _flatten = options.Mode == ExtractMode.Flatten;
        _createdAsRoot = _chown && !_flatten && Libc.Getegid() == 0;
        var workers = options.FileWorkers ?? DefaultFileWorkers;
        _workers = workers > 0 ? new FileWorkers(this, workers) : null;
    }

    /// <summary>Stops the workers (waiting for the files they hold, closing every descriptor); idempotent.</summary>
    public void Dispose() => _workers?.Complete(rethrow: false);

    /// <summary>One worker per core (2-8), or $GANTRY_UNPACK_WORKERS (0 = none) for tuning and measuring.</summary>
    internal static int DefaultFileWorkers { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("GANTRY_UNPACK_WORKERS"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? Math.Min(n, 64)
            : Math.Clamp(Environment.ProcessorCount, 2, 8);

    public int Entries { get; private set; }

    public long FileBytes { get; private set; }

    /// <summary>Regular files hard-linked from an earlier layer (<see cref="ExtractOptions.SameFile"/>) instead of written.</summary>
    public int Linked => Volatile.Read(ref _linked);

    public void Apply(TarHeader header, TarReader reader)
    {
        Entries++;
        var rel = Normalize(header.Name, header.Name);
        if (rel.Length == 0)
        {
            if (header.Type != TarEntryType.Directory)
            {
                throw Reject(header.Name, "names the root directory but is not a directory");
            }

            SetDirMetadata(_root, header);
            return;
        }

        var slash = rel.LastIndexOf('/');
        var leaf = slash < 0 ? rel : rel[(slash + 1)..];
        var parentRel = slash < 0 ? string.Empty : rel[..slash];

        if (_options.ApplyWhiteouts && leaf.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            ApplyWhiteout(header, parentRel, leaf);
            return;
        }

        var parent = ResolveDir(parentRel, header.Name, create: true)!.Value;
        var full = parent.Full.Length == _root.Length && parent.Rel.Length == 0 ? _root + "/" + leaf : parent.Full + "/" + leaf;
        var resolvedRel = parent.Rel.Length == 0 ? leaf : parent.Rel + "/" + leaf;
        var literal = parent.Literal;

        switch (header.Type)
        {
            case TarEntryType.Directory:
                MakeDirectory(full, resolvedRel, header);
                if (literal)
                {
                    _knownDirs.Add(resolvedRel);
                }

                break;
            case TarEntryType.Regular or TarEntryType.RegularOld or TarEntryType.Contiguous:
                WriteFile(full, resolvedRel, literal, header, reader);
                break;
            case TarEntryType.Symlink:
                Replace(full, resolvedRel, () => Libc.Symlink(header.LinkName, full));
                _plantedSymlinks.Add(resolvedRel);
                if (_chown)
                {
                    Check(Libc.Lchown(full, header.Uid, header.Gid), "lchown", header.Name);
                }

                SetXattrs(full, header);
                SetTimes(full, header, symlink: true);
                break;
            case TarEntryType.HardLink:
            {
                _workers?.Drain(); // the target may be a file a worker is still creating
                var targetRel = Normalize(header.LinkName, header.Name);
                var tslash = targetRel.LastIndexOf('/');
                var tparent = ResolveDir(tslash < 0 ? string.Empty : targetRel[..tslash], header.Name, create: false);
                var tleaf = tslash < 0 ? targetRel : targetRel[(tslash + 1)..];
                if (tparent is null || targetRel.Length == 0)
                {
                    throw Reject(header.Name, $"is a hard link to '{header.LinkName}', which does not exist in the layer");
                }

                var targetFull = tparent.Value.Full + "/" + tleaf;
                if (!Libc.TryLstat(targetFull, out var tst, out _) || tst.IsDirectory)
                {
                    throw Reject(header.Name, $"is a hard link to '{header.LinkName}', which does not exist in the layer or is a directory");
                }

                if (targetFull == full)
                {
                    break;
                }

                Replace(full, resolvedRel, () => Libc.Link(targetFull, full));
                break;
            }

            case TarEntryType.CharDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
            {
                var kind = header.Type switch
                {
                    TarEntryType.CharDevice => Libc.SIfChr,
                    TarEntryType.BlockDevice => Libc.SIfBlk,
                    _ => Libc.SIfIfo,
                };
                if (kind != Libc.SIfIfo && !_devices)
                {
                    break; // device nodes only as root
                }

                var dev = kind == Libc.SIfIfo ? 0 : Libc.Makedev(header.DevMajor, header.DevMinor);
                Replace(full, resolvedRel, () => Libc.Mknod(full, kind | 0x180, dev));
                if (_chown)
                {
                    Check(Libc.Lchown(full, header.Uid, header.Gid), "lchown", header.Name);
                }

                Check(Libc.Chmod(full, (uint)header.Mode), "chmod", header.Name);
                SetXattrs(full, header);
                SetTimes(full, header, symlink: true);
                break;
            }

            default:
                // Unknown types (e.g. GNU volume headers) carry nothing a rootfs needs; their data is skipped.
                Entries--;
                break;
        }
    }

    /// <summary>Directory modes and times go last (creating children changes a directory's mtime), then one syncfs.</summary>
    public void Finish()
    {
        _workers?.Complete(rethrow: true);
        var times = stackalloc Libc.Timespec[2];
        for (var i = _dirs.Count - 1; i >= 0; i--)
        {
            var (path, mode, sec, nsec) = _dirs[i];
            Check(Libc.Chmod(path, (uint)mode), "chmod", path);
            times[0] = new Libc.Timespec { Sec = sec, Nsec = nsec };
            times[1] = times[0];
            Libc.Utimensat(Libc.AtFdCwd, path, times, Libc.AtSymlinkNoFollow);
        }

        if (_options.Sync)
        {
            var fd = Libc.Open(_root, Libc.ORdOnly | Libc.ODirectory | Libc.OCloExec, 0);
            if (fd >= 0)
            {
                Libc.Syncfs(fd);
                Libc.Close(fd);
            }
        }
    }

    private void ApplyWhiteout(TarHeader header, string parentRel, string leaf)
    {
        if (leaf == OpaqueMarker)
        {
            var dir = ResolveDir(parentRel, header.Name, create: !_flatten);
            if (dir is null)
            {
                return;
            }

            if (_flatten)
            {
                foreach (var child in Directory.EnumerateFileSystemEntries(dir.Value.Full))
                {
                    var childRel = (dir.Value.Rel.Length == 0 ? string.Empty : dir.Value.Rel + "/") + Path.GetFileName(child);
                    if (!_created.Contains(childRel))
                    {
                        RemoveAll(child, childRel);
                    }
                }
            }
            else
            {
                SetXattr(dir.Value.Full, "trusted.overlay.opaque", OpaqueValue, header.Name, required: true);
            }

            return;
        }

        if (leaf.StartsWith(WhiteoutPrefix + WhiteoutPrefix, StringComparison.Ordinal))
        {
            return; // other AUFS metadata (.wh..wh.plnk, .wh..wh.aufs): nothing to apply
        }

        var name = leaf[WhiteoutPrefix.Length..];
        if (name.Length == 0 || name is "." or "..")
        {
            throw Reject(header.Name, "is a whiteout for an invalid name");
        }

        var parent = ResolveDir(parentRel, header.Name, create: !_flatten);
        if (parent is null)
        {
            return;
        }

        var full = parent.Value.Full + "/" + name;
        var rel = parent.Value.Rel.Length == 0 ? name : parent.Value.Rel + "/" + name;
        if (_flatten)
        {
            if (Libc.TryLstat(full, out _, out _))
            {
                RemoveAll(full, rel);
            }

            return;
        }

        if (!Libc.IsRoot)
        {
            throw new GantryException($"{_what}: entry '{header.Name}' is a whiteout, and overlay whiteouts (char device 0/0) can only be made as root; run gantry as root.");
        }

        Replace(full, rel, () => Libc.Mknod(full, Libc.SIfChr | 0, 0));
        if (_chown)
        {
            Libc.Lchown(full, header.Uid, header.Gid);
        }
    }

    private void MakeDirectory(string full, string rel, TarHeader header)
    {
        if (_created.Contains(rel))
        {
            _workers?.Drain(); // a worker may still be creating a file of this name
        }

        if (Libc.Mkdir(full, 0x1ED) != 0)
        {
            var errno = Libc.LastError;
            if (errno != Libc.EEXIST)
            {
                throw Fail(header.Name, "mkdir", errno);
            }

            if (!Libc.TryLstat(full, out var st, out _) || !st.IsDirectory)
            {
                RemoveAll(full, rel);
                Check(Libc.Mkdir(full, 0x1ED), "mkdir", header.Name);
                _created.Add(rel);
            }
        }
        else
        {
            _created.Add(rel);
        }

        SetDirMetadata(full, header);
    }

    private void SetDirMetadata(string full, TarHeader header)
    {
        if (_chown)
        {
            Check(Libc.Lchown(full, header.Uid, header.Gid), "lchown", header.Name);
        }

        SetXattrs(full, header);
        _dirs.Add((full, header.Mode, header.MtimeSeconds, header.MtimeNanoseconds));
    }

    private void WriteFile(string full, string rel, bool literal, TarHeader header, TarReader reader)
    {
        const int flags = Libc.OWrOnly | Libc.OCreat | Libc.OExcl | Libc.ONoFollow | Libc.OCloExec;
        var createMode = CreateMode(header.Mode);

        // An identical file of an earlier layer (the caller vouches for bytes, size, mode, owner and mtime) is linked, not
        // written: no inode to allocate, no data to write back. Only where nothing by this name exists yet and the path was
        // resolved through directories this archive made; the link itself refuses to replace anything. Small files are
        // linked by the workers (which write them instead when the link fails), larger ones here.
        var trySameFile = _options.SameFile is not null && _options.Mode == ExtractMode.OverlayLower && literal && !_created.Contains(rel)
            && header.Xattrs is not { Count: > 0 };

        // Small new files in a fresh overlay-lower dir are created by the workers too: the path was resolved here (every
        // component a real directory this archive made, none a symlink), nothing is there yet (this archive made nothing
        // by that name), and no directory on the way can change before the worker opens it, because every removal first
        // waits for the workers (Drain). O_EXCL|O_NOFOLLOW still guard the open itself.
        if (_workers is not null && header.Size <= ParallelFileLimit && !_flatten && literal && !_created.Contains(rel))
        {
            var (data, size) = ReadAll(reader, header.Size);
            FileBytes += size;
            _created.Add(rel);
            _workers.Enqueue(new FileJob(-1, full, createMode, data, size, header.Name, header.Uid, header.Gid, header.Mode, header.MtimeSeconds, header.MtimeNanoseconds, header.Xattrs, trySameFile ? rel : null));
            return;
        }

        if (trySameFile && TryLinkSameFile(rel, full, header.Size, header.Mode, header.Uid, header.Gid, header.MtimeSeconds, header.MtimeNanoseconds))
        {
            _created.Add(rel);
            FileBytes += header.Size;
            return;
        }

        if (_created.Contains(rel))
        {
            _workers?.Drain(); // a worker may still be creating the earlier entry of this name
        }

        var fd = Libc.Open(full, flags, createMode);
        if (fd < 0)
        {
            var errno = Libc.LastError;
            if (errno != Libc.EEXIST)
            {
                throw Fail(header.Name, "create", errno);
            }

            RemoveAll(full, rel);
            fd = Libc.Open(full, flags, createMode);
            if (fd < 0)
            {
                throw Fail(header.Name, "create", Libc.LastError);
            }
        }

        _created.Add(rel);
        if (_workers is not null && header.Size <= ParallelFileLimit)
        {
            byte[] buffer;
            int length;
            try
            {
                (buffer, length) = ReadAll(reader, header.Size);
            }
            catch
            {
                Libc.Close(fd);
                throw;
            }

            FileBytes += length;
            _workers.Enqueue(new FileJob(fd, full, createMode, buffer, length, header.Name, header.Uid, header.Gid, header.Mode, header.MtimeSeconds, header.MtimeNanoseconds, header.Xattrs));
            return;
        }

        try
        {
            while (true)
            {
                var data = reader.ReadData();
                if (data.IsEmpty)
                {
                    break;
                }

                FileBytes += data.Length;
                WriteAll(fd, data, header.Name);
            }

            FinishFile(fd, header.Name, header.Uid, header.Gid, header.Mode, createMode, header.MtimeSeconds, header.MtimeNanoseconds, header.Xattrs);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>
    /// The mode a file is created with: its own permission bits when they carry no setuid/setgid/sticky bit (the final
    /// mode from the start, so no fchmod when the umask keeps them), else owner-only until fchmod sets the real mode.
    /// </summary>
    private static uint CreateMode(int mode) => (mode & 0xE00) == 0 ? (uint)(mode & 0x1FF) : 0x180;

    private void WriteAll(int fd, ReadOnlySpan<byte> data, string name)
    {
        fixed (byte* p = data)
        {
            var offset = 0;
            while (offset < data.Length)
            {
                var n = Libc.Write(fd, p + offset, data.Length - offset);
                if (n < 0)
                {
                    var errno = Libc.LastError;
                    if (errno == Libc.EINTR)
                    {
                        continue;
                    }

                    throw Fail(name, "write", errno);
                }

                offset += (int)n;
            }
        }
    }

    /// <summary>Creates something at <paramref name="full"/> with <paramref name="create"/>; whatever was there is removed first.</summary>
    private void Replace(string full, string rel, Func<int> create)
    {
        if (_created.Contains(rel))
        {
            _workers?.Drain(); // a worker may still be creating the earlier entry of this name
        }

        if (create() != 0)
        {
            var errno = Libc.LastError;
            if (errno != Libc.EEXIST)
            {
                throw Fail(rel, "create", errno);
            }

            RemoveAll(full, rel);
            if (create() != 0)
            {
                throw Fail(rel, "create", Libc.LastError);
            }
        }

        _created.Add(rel);
    }

    /// <summary>Removes a path and everything below it without following symlinks, and forgets what we knew about it.</summary>
    private void RemoveAll(string full, string rel)
    {
        // Workers may still be opening files below this path: let them finish before anything is removed.
        _workers?.Drain();
        _plantedSymlinks.Remove(rel);
        if (_knownDirs.Remove(rel))
        {
            var prefix = rel + "/";
            _knownDirs.RemoveWhere(d => d.StartsWith(prefix, StringComparison.Ordinal));
            _plantedSymlinks.RemoveWhere(d => d.StartsWith(prefix, StringComparison.Ordinal));
        }

        FileSystem.RemoveAll(full);
    }

    /// <summary>
    /// Resolves a directory path inside the root component by component. Missing directories are created (when
    /// <paramref name="create"/>) or yield null. A symlink this archive planted is rejected; an older symlink (an earlier
    /// layer's, in flatten mode) is followed but confined to the root as if the root were "/".
    /// </summary>
    private (string Full, string Rel, bool Literal)? ResolveDir(string rel, string entryName, bool create)
    {
        if (_knownDirs.Contains(rel))
        {
            return (rel.Length == 0 ? _root : _root + "/" + rel, rel, true);
        }

        var parts = new List<string>(rel.Split('/'));
        var current = string.Empty;
        var literal = true;
        var hops = 0;
        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                var up = current.LastIndexOf('/');
                current = up < 0 ? string.Empty : current[..up];
                continue;
            }

            var next = current.Length == 0 ? part : current + "/" + part;
            if (literal && _knownDirs.Contains(next))
            {
                current = next;
                continue;
            }

            var full = _root + "/" + next;
            if (!Libc.TryLstat(full, out var st, out var errno))
            {
                if (errno != Libc.ENOENT)
                {
                    throw Fail(entryName, "stat", errno);
                }

                if (!create)
                {
                    return null;
                }

                if (Libc.Mkdir(full, 0x1ED) != 0)
                {
                    throw Fail(entryName, "mkdir", Libc.LastError);
                }

                _created.Add(next);
                if (literal)
                {
                    _knownDirs.Add(next);
                }

                current = next;
                continue;
            }

            if (st.IsDirectory)
            {
                if (literal)
                {
                    _knownDirs.Add(next);
                }

                current = next;
                continue;
            }

            if (st.IsSymlink)
            {
                if (_plantedSymlinks.Contains(next))
                {
                    throw Reject(entryName, $"goes through '{next}', a symlink an earlier entry of this layer created");
                }

                if (++hops > 40)
                {
                    throw Reject(entryName, "goes through too many levels of symlinks");
                }

                var target = Libc.ReadLink(full) ?? throw Fail(entryName, "readlink", Libc.LastError);
                literal = false;
                if (target.StartsWith('/'))
                {
                    current = string.Empty;
                }

                parts.InsertRange(i + 1, target.Split('/'));
                continue;
            }

            throw Reject(entryName, $"needs '{next}' to be a directory, but an earlier entry or layer made it a file");
        }

        return (current.Length == 0 ? _root : _root + "/" + current, current, literal);
    }

    private string Normalize(string name, string entryName)
    {
        if (name.StartsWith('/'))
        {
            throw Reject(entryName, "has an absolute path");
        }

        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw Reject(entryName, "has a NUL byte in its path");
        }

        var sb = new StringBuilder(name.Length);
        foreach (var part in name.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                throw Reject(entryName, "has '..' in its path");
            }

            if (sb.Length > 0)
            {
                sb.Append('/');
            }

            sb.Append(part);
        }

        return sb.ToString();
    }

    private void SetXattrs(string full, TarHeader header)
    {
        if (header.Xattrs is null || !_options.PreserveXattrs)
        {
            return;
        }

        foreach (var (key, value) in header.Xattrs)
        {
            if (!key.StartsWith("trusted.overlay.", StringComparison.Ordinal))
            {
                SetXattr(full, key, value, header.Name, required: false);
            }
        }
    }

    private void SetXattr(string full, string key, byte[] value, string entryName, bool required)
    {
        fixed (byte* v = value)
        {
            if (Libc.Lsetxattr(full, key, v, value.Length, 0) != 0)
            {
                var errno = Libc.LastError;
                if (required)
                {
                    throw new GantryException($"{_what}: cannot set {key} on '{entryName}': {Libc.ErrorText(errno)}; the snapshot directory's filesystem must support trusted xattrs (run as root on ext4/xfs).");
                }

                XattrFailed(entryName, key, errno);
            }
        }
    }

    private void XattrFailed(string entryName, string key, int errno)
    {
        // Filesystems without xattrs, and user.* on symlinks, are tolerated (as docker does); as root anything else is an error.
        if (errno is Libc.EOPNOTSUPP or Libc.EPERM && !Libc.IsRoot)
        {
            return;
        }

        if (errno == Libc.EOPNOTSUPP || errno == Libc.EPERM && key.StartsWith("user.", StringComparison.Ordinal))
        {
            return;
        }

        throw new GantryException($"{_what}: cannot set xattr {key} on '{entryName}': {Libc.ErrorText(errno)}.");
    }

    private static (byte[] Buffer, int Length) ReadAll(TarReader reader, long size)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Max(size, 1));
        var length = 0;
        try
        {
            while (true)
            {
                var data = reader.ReadData();
                if (data.IsEmpty)
                {
                    return (buffer, length);
                }

                if (length + data.Length > buffer.Length)
                {
                    var bigger = System.Buffers.ArrayPool<byte>.Shared.Rent(length + data.Length);
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                data.CopyTo(buffer.AsSpan(length));
                length += data.Length;
            }
        }
        catch
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Hard-links the file <see cref="ExtractOptions.SameFile"/> vouches for at <paramref name="full"/>; false when it
    /// offers none or the link fails (another filesystem, too many links), and the entry is written instead; thread-safe.</summary>
    private bool TryLinkSameFile(string rel, string full, long size, int mode, int uid, int gid, long sec, int nsec)
    {
        if (_options.SameFile!(rel, size, mode & 0xFFF, uid, gid, sec, nsec) is not { } same || Libc.Link(same, full) != 0)
        {
            return false;
        }

        Interlocked.Increment(ref _linked);
        return true;
    }

    /// <summary>Creates the file when the job has no descriptor yet, then writes its buffered data and metadata; thread-safe.</summary>
    private int CompleteFile(in FileJob job)
    {
        var fd = job.Fd;
        if (fd < 0 && job.SameFileRel is { } rel && TryLinkSameFile(rel, job.Path, job.Length, job.Mode, job.Uid, job.Gid, job.Sec, job.Nsec))
        {
            return -1;
        }

        if (fd < 0)
        {
            fd = Libc.Open(job.Path, Libc.OWrOnly | Libc.OCreat | Libc.OExcl | Libc.ONoFollow | Libc.OCloExec, job.CreateMode);
            if (fd < 0)
            {
                throw Fail(job.Name, "create", Libc.LastError);
            }
        }

        try
        {
            WriteAll(fd, job.Buffer.AsSpan(0, job.Length), job.Name);
            FinishFile(fd, job.Name, job.Uid, job.Gid, job.Mode, job.CreateMode, job.Sec, job.Nsec, job.Xattrs);
        }
        finally
        {
            if (job.Fd < 0)
            {
                Libc.Close(fd);
            }
        }

        return fd;
    }

    /// <summary>Owner, mode, xattrs and times of a file being written (by descriptor, never by path); thread-safe.</summary>
    private void FinishFile(int fd, string name, int uid, int gid, int mode, uint createMode, long sec, int nsec, SortedDictionary<string, byte[]>? xattrs)
    {
        if (_chown && !(_createdAsRoot && uid == 0 && gid == 0))
        {
            Check(Libc.Fchown(fd, uid, gid), "chown", name);
        }

        // Only when the file was not created with its final mode: setuid/setgid/sticky (which CreateMode leaves out, so
        // they are also set after fchown, which would clear them) or bits the umask took off.
        if (createMode != (uint)(mode & 0xFFF) || (createMode & (uint)Libc.Umask) != 0)
        {
            Check(Libc.Fchmod(fd, (uint)mode), "chmod", name);
        }
        if (xattrs is not null && _options.PreserveXattrs)
        {
            foreach (var (key, value) in xattrs)
            {
                if (key.StartsWith("trusted.overlay.", StringComparison.Ordinal))
                {
                    continue;
                }

                fixed (byte* v = value)
                {
                    if (Libc.Fsetxattr(fd, key, v, value.Length, 0) != 0)
                    {
                        XattrFailed(name, key, Libc.LastError);
                    }
                }
            }
        }

        var times = stackalloc Libc.Timespec[2];
        times[0] = new Libc.Timespec { Sec = sec, Nsec = nsec };
        times[1] = times[0];
        Libc.Futimens(fd, times);
    }

    private static void SetTimes(string full, TarHeader header, bool symlink)
    {
        var times = stackalloc Libc.Timespec[2];
        times[0] = new Libc.Timespec { Sec = header.MtimeSeconds, Nsec = header.MtimeNanoseconds };
        times[1] = times[0];
        Libc.Utimensat(Libc.AtFdCwd, full, times, symlink ? Libc.AtSymlinkNoFollow : 0);
    }

    private void Check(int rc, string op, string entryName)
    {
        if (rc != 0)
        {
            throw Fail(entryName, op, Libc.LastError);
        }
    }

    private GantryException Reject(string entryName, string why) =>
        new($"{_what}: entry '{entryName}' {why}; refusing to unpack a layer that could write outside its directory.");

    private GantryException Fail(string entryName, string op, int errno) =>
        new($"{_what}: cannot {op} '{entryName}' under {_root}: {Libc.ErrorText(errno)}.");
}
