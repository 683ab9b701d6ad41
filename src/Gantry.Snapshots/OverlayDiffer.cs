// Owns: turning an overlayfs upper dir (the changes of a RUN) into a deterministic layer tar with whiteouts and opaque markers.
using Gantry.Oci;
using Gantry.Snapshots.Native;
using Gantry.Snapshots.Tar;

namespace Gantry.Snapshots;

/// <summary>
/// Writes an overlay upper dir as a layer: a char device 0/0 becomes a <c>.wh.NAME</c> empty file, a directory with
/// <c>trusted.overlay.opaque=y</c> becomes its directory entry plus <c>.wh..wh..opq</c>; <c>trusted.overlay.*</c> xattrs are
/// dropped, others (security.capability, user.*) kept as PAX <c>SCHILY.xattr.*</c>; hard links within the dir are kept as
/// hard links. Entries are sorted, numeric ids only, whole-second mtimes clamped to SOURCE_DATE_EPOCH.
/// The upper dir must not be mounted-and-written while this runs (unmount or stop the container first).
/// </summary>
public static class OverlayDiffer
{
    private static readonly Func<string, bool> KeepXattr = n => !n.StartsWith("trusted.overlay.", StringComparison.Ordinal) && !n.StartsWith("user.overlay.", StringComparison.Ordinal);

    /// <summary>Writes the layer for <paramref name="upperDir"/> to <paramref name="output"/>; see <see cref="LayerResult.IsEmpty"/>.</summary>
    public static Task<LayerResult> WriteLayerAsync(string upperDir, Stream output, LayerWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(upperDir);
        options ??= LayerWriteOptions.Default;
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(upperDir));
        if (!Directory.Exists(root))
        {
            throw new GantryException($"upper dir '{upperDir}' does not exist; prepare the snapshot before diffing it.");
        }

        var opts = options;
        return LayerPipeline.WriteAsync(output, opts, (tar, ct) => new Walker(root, tar, opts, ct).Run(), cancellationToken);
    }

    /// <summary>Writes the layer into a blob store (via a temp file in <paramref name="tempDir"/>); an empty layer is not stored.</summary>
    public static Task<LayerResult> WriteLayerAsync(string upperDir, IBlobWriter blobs, string tempDir, LayerWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        LayerPipeline.WriteToStoreAsync(blobs, tempDir, s => WriteLayerAsync(upperDir, s, options, cancellationToken), cancellationToken);

    private sealed class Walker(string root, TarWriter tar, LayerWriteOptions options, CancellationToken cancellationToken)
    {
        private readonly Dictionary<ulong, string> _links = [];
        private int _count;

        public int Run()
        {
            Walk(root, string.Empty);
            return _count;
        }

        private void Walk(string dir, string rel)
        {
            var names = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Select(n => n!).ToList();
            names.Sort(StringComparer.Ordinal);
            foreach (var name in names)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var full = dir + "/" + name;
                var path = rel.Length == 0 ? name : rel + "/" + name;
                if (!Libc.TryLstat(full, out var st, out _))
                {
                    continue; // vanished meanwhile
                }

                var mtime = LayerPipeline.Clamp(st.MtimeSec, options);
                var type = st.Type;
                if (type == Libc.SIfChr && st.RdevMajor == 0 && st.RdevMinor == 0)
                {
                    var wh = rel.Length == 0 ? ".wh." + name : rel + "/.wh." + name;
                    tar.WriteHeader(new TarHeader { Name = wh, Type = TarEntryType.Regular, MtimeSeconds = mtime });
                    _count++;
                    continue;
                }

                var header = new TarHeader
                {
                    Name = path,
                    Mode = st.Mode & 0xFFF,
                    Uid = (int)st.Uid,
                    Gid = (int)st.Gid,
                    MtimeSeconds = mtime,
                    Xattrs = Xattrs.Read(full, KeepXattr),
                };

                switch (type)
                {
                    case Libc.SIfDir:
                    {
                        header.Name = path + "/";
                        header.Type = TarEntryType.Directory;
                        tar.WriteHeader(header);
                        _count++;
                        var opaque = Xattrs.Get(full, "trusted.overlay.opaque") ?? Xattrs.Get(full, "user.overlay.opaque");
                        if (opaque is [(byte)'y'])
                        {
                            tar.WriteHeader(new TarHeader { Name = path + "/.wh..wh..opq", Type = TarEntryType.Regular, MtimeSeconds = mtime });
                            _count++;
                        }

                        Walk(full, path);
                        break;
                    }

                    case Libc.SIfReg:
                        if (st.Nlink > 1)
                        {
                            if (_links.TryGetValue(st.Ino, out var first))
                            {
                                header.Type = TarEntryType.HardLink;
                                header.LinkName = first;
                                header.Xattrs = null;
                                tar.WriteHeader(header);
                                _count++;
                                break;
                            }

                            _links[st.Ino] = path;
                        }

                        header.Type = TarEntryType.Regular;
                        using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan))
                        {
                            header.Size = stream.Length;
                            tar.WriteHeader(header);
                            tar.WriteData(stream, header.Size);
                        }

                        _count++;
                        break;
                    case Libc.SIfLnk:
                        header.Type = TarEntryType.Symlink;
                        header.LinkName = Libc.ReadLink(full) ?? string.Empty;
                        tar.WriteHeader(header);
                        _count++;
                        break;
                    case Libc.SIfChr or Libc.SIfBlk:
                        header.Type = type == Libc.SIfChr ? TarEntryType.CharDevice : TarEntryType.BlockDevice;
                        header.DevMajor = st.RdevMajor;
                        header.DevMinor = st.RdevMinor;
                        tar.WriteHeader(header);
                        _count++;
                        break;
                    case Libc.SIfIfo:
                        header.Type = TarEntryType.Fifo;
                        tar.WriteHeader(header);
                        _count++;
                        break;
                    default:
                        break; // sockets are not part of images
                }
            }
        }
    }
}
