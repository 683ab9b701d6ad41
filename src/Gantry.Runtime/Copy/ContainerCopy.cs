// Owns: docker cp's path rules (file onto file, into a directory, "/." contents, missing parents) between two FsRoots or a tar stream.
using System.IO.Pipelines;
using Gantry.Oci;

namespace Gantry.Runtime.Copy;

public sealed record CopyOptions
{
    /// <summary>-L: follow a symlink named as the source.</summary>
    public bool FollowLink { get; init; }

    /// <summary>How files written into a container are owned (docker: root unless -a); the host side keeps the caller's ownership.</summary>
    public CopyOwnership Ownership { get; init; } = CopyOwnership.Root;
}

public static class ContainerCopy
{
    /// <summary>
    /// Copies <paramref name="sourcePath"/> in <paramref name="source"/> to <paramref name="destPath"/> in <paramref name="dest"/> with
    /// docker's rules; returns the bytes of file data copied.
    /// </summary>
    public static async Task<long> CopyAsync(FsRoot source, string sourcePath, FsRoot dest, string destPath, CopyOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(dest);
        ArgumentNullException.ThrowIfNull(options);
        var (srcHost, srcKind, contentsOnly) = ResolveSource(source, sourcePath, options.FollowLink);
        var (extractDir, topName) = PlanDestination(dest, destPath, source, sourcePath, srcHost, srcKind, contentsOnly);
        var pipe = new Pipe();
        var producer = Task.Run(
            async () =>
            {
                var writerStream = pipe.Writer.AsStream();
                try
                {
                    await TarPacker.WriteAsync(srcHost, topName, writerStream, cancellationToken).ConfigureAwait(false);
                    await pipe.Writer.CompleteAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
                    throw;
                }
            },
            cancellationToken);
        long bytes;
        var readerStream = pipe.Reader.AsStream();
        try
        {
            bytes = await TarUnpacker.ExtractAsync(readerStream, dest, dest.Inside(extractDir), dest.IsContainer ? options.Ownership : CopyOwnership.Caller, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await pipe.Reader.CompleteAsync(ex).ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // the extraction error is the one to report
            }

            throw;
        }

        await pipe.Reader.CompleteAsync().ConfigureAwait(false);
        await producer.ConfigureAwait(false);
        return bytes;
    }

    /// <summary>Writes <paramref name="sourcePath"/> as a tar stream (docker cp CTR:SRC -): the top entry is named after its last component.</summary>
    public static async Task WriteArchiveAsync(FsRoot source, string sourcePath, Stream output, CopyOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var (srcHost, srcKind, contentsOnly) = ResolveSource(source, sourcePath, options.FollowLink);
        var top = contentsOnly && srcKind == FsKind.Directory ? "." : BaseName(sourcePath);
        await TarPacker.WriteAsync(srcHost, top, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Extracts a tar stream into the directory <paramref name="destPath"/> (docker cp - CTR:DEST); returns the file bytes written.</summary>
    public static async Task<long> ExtractArchiveAsync(Stream tar, FsRoot dest, string destPath, CopyOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dest);
        ArgumentNullException.ThrowIfNull(options);
        var host = dest.Resolve(destPath, followLast: true);
        var kind = FsRoot.KindOf(host);
        if (kind == FsKind.Missing)
        {
            throw new GantryException($"Could not find the file {destPath}{Where(dest)}: the destination of a tar stream must be an existing directory");
        }

        if (kind != FsKind.Directory)
        {
            throw new GantryException($"extraction point '{dest.Name(destPath)}' is not a directory: give a directory as the destination of a tar stream");
        }

        return await TarUnpacker.ExtractAsync(tar, dest, dest.Inside(host), dest.IsContainer ? options.Ownership : CopyOwnership.Caller, cancellationToken).ConfigureAwait(false);
    }

    private static (string Host, FsKind Kind, bool ContentsOnly) ResolveSource(FsRoot source, string path, bool followLink)
    {
        if (path.Length == 0)
        {
            throw new GantryException("the source path is empty: name a file or directory to copy");
        }

        var contentsOnly = path.EndsWith("/.", StringComparison.Ordinal) || path == ".";
        var trailingSlash = path.EndsWith('/');
        var host = source.Resolve(path, followLast: followLink || contentsOnly || trailingSlash);
        var kind = FsRoot.KindOf(host);
        if (kind == FsKind.Missing)
        {
            throw new GantryException(source.IsContainer
                ? $"Could not find the file {path} in container {source.Display}"
                : $"lstat {path}: no such file or directory");
        }

        if ((trailingSlash || contentsOnly) && kind != FsKind.Directory)
        {
            throw new GantryException($"source '{source.Name(path)}' is not a directory: drop the trailing '/' to copy the file");
        }

        return (host, kind, contentsOnly);
    }

    private static (string ExtractDir, string TopName) PlanDestination(FsRoot dest, string destPath, FsRoot source, string sourcePath, string srcHost, FsKind srcKind, bool contentsOnly)
    {
        if (destPath.Length == 0)
        {
            throw new GantryException("the destination path is empty: name a file or directory to copy to");
        }

        var host = dest.Resolve(destPath, followLast: true);
        var kind = FsRoot.KindOf(host);
        var srcIsDir = srcKind == FsKind.Directory;
        switch (kind)
        {
            case FsKind.Directory:
                if (host == srcHost && source.Root == dest.Root)
                {
                    throw new GantryException($"cannot copy '{source.Name(sourcePath)}' into itself");
                }

                return (host, srcIsDir && contentsOnly ? "." : BaseName(sourcePath));
            case FsKind.File:
                if (srcIsDir)
                {
                    throw new GantryException($"cannot copy a directory to a file: '{dest.Name(destPath)}' exists and is not a directory");
                }

                if (destPath.EndsWith('/'))
                {
                    throw new GantryException($"destination '{dest.Name(destPath)}' is not a directory: drop the trailing '/' to overwrite the file");
                }

                return (Parent(host), Path.GetFileName(host));
            default:
                if (!srcIsDir && (destPath.EndsWith('/') || destPath.EndsWith("/.", StringComparison.Ordinal)))
                {
                    throw new GantryException($"the destination directory '{dest.Name(destPath)}' must exist to copy a file into it");
                }

                var parent = Parent(host);
                if (FsRoot.KindOf(parent) != FsKind.Directory)
                {
                    var parentInside = Parent(dest.Inside(host));
                    throw new GantryException(dest.IsContainer
                        ? $"Could not find the file {parentInside} in container {dest.Display}: the parent directory of '{destPath}' must exist"
                        : $"the parent directory of '{destPath}' does not exist: create it first (mkdir -p {parentInside})");
                }

                return (parent, Path.GetFileName(host.TrimEnd('/')));
        }
    }

    private static string Parent(string path)
    {
        var trimmed = path.TrimEnd('/');
        var i = trimmed.LastIndexOf('/');
        return i <= 0 ? "/" : trimmed[..i];
    }

    private static string BaseName(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        var name = parts.Count == 0 ? "" : parts[^1];
        return name.Length == 0 || name == ".." ? "." : name;
    }

    private static string Where(FsRoot root) => root.IsContainer ? " in container " + root.Display : "";
}
