// Owns: the blob routes: GET/HEAD (sendfile, Range, mirroring on a miss) and DELETE.
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using Gantry.Oci;
using Gantry.Registry.Server.Auth;
using Microsoft.AspNetCore.Http;

namespace Gantry.Registry.Server.Http;

public sealed partial class RegistryHandler
{
    private readonly ConcurrentDictionary<(string Repo, Digest Digest), Lazy<Task>> _mirrorDownloads = new();

    private async Task GetBlobAsync(HttpContext context, Route route, RequestState state, CancellationToken ct)
    {
        Demand(context, state, route.Name, AccessScope.Pull);
        var head = HttpMethods.IsHead(context.Request.Method);
        var digest = ParseDigest(route.Reference);
        var size = _storage.GetBlobSize(route.Name, digest);
        if (size is null && _upstream is not null)
        {
            await MirrorBlobAsync(route.Name, digest, ct).ConfigureAwait(false);
            size = _storage.GetBlobSize(route.Name, digest);
        }

        if (size is not long length)
        {
            throw RegistryError.BlobUnknown(digest.ToString());
        }

        var response = context.Response;
        response.Headers["Docker-Content-Digest"] = digest.ToString();
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = $"\"{digest}\"";
        response.Headers.CacheControl = "max-age=31536000";
        response.ContentType = "application/octet-stream";
        long offset = 0, count = length;
        var range = context.Request.Headers.Range.ToString();
        if (!string.IsNullOrEmpty(range))
        {
            if (!TryParseRange(range, length, out offset, out count))
            {
                response.Headers.ContentRange = $"bytes */{length}";
                throw new RegistryError(416, "BLOB_UNKNOWN", "requested range not satisfiable", range);
            }

            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {offset}-{offset + count - 1}/{length}";
        }
        else
        {
            response.StatusCode = 200;
        }

        response.ContentLength = count;
        if (head || count == 0)
        {
            return;
        }

        await SendRangeAsync(response, _storage.BlobPath(digest), digest, offset, count, ct).ConfigureAwait(false);
    }

    /// <summary>Bytes read from the blob per pipe write: one read(2) straight into Kestrel's output buffer, no extra copy.</summary>
    private const int SendChunk = 128 * 1024;

    /// <summary>
    /// Streams [offset, offset+count) of a blob file into the response pipe (pread into the pipe's own memory). Kestrel's
    /// SendFileAsync falls back to a FileStream copy through a 64 KiB intermediate buffer on every transport; this saves
    /// that copy and the async-over-sync file read per chunk.
    /// </summary>
    private static async Task SendRangeAsync(HttpResponse response, string path, Digest digest, long offset, long count, CancellationToken ct)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            throw RegistryError.BlobUnknown(digest.ToString()); // deleted between the size check and the open: nothing sent yet
        }

        using (file)
        {
            var writer = response.BodyWriter;
            var end = offset + count;
            while (offset < end)
            {
                var memory = writer.GetMemory((int)Math.Min(SendChunk, end - offset));
                var want = (int)Math.Min(memory.Length, end - offset);
                var n = RandomAccess.Read(file, memory.Span[..want], offset);
                if (n == 0)
                {
                    throw new IOException($"blob {digest} ended early at byte {offset} of {end}");
                }

                writer.Advance(n);
                offset += n;
                var flushed = await writer.FlushAsync(ct).ConfigureAwait(false);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Parses one <c>bytes=A-B</c>, <c>bytes=A-</c> or <c>bytes=-N</c> range within <paramref name="length"/>.</summary>
    internal static bool TryParseRange(string header, long length, out long offset, out long count)
    {
        offset = 0;
        count = 0;
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        var spec = header[6..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return false;
        }

        var a = spec[..dash].Trim();
        var b = spec[(dash + 1)..].Trim();
        const NumberStyles n = NumberStyles.None;
        var inv = CultureInfo.InvariantCulture;
        if (a.Length == 0)
        {
            if (!long.TryParse(b, n, inv, out var suffix) || suffix <= 0 || length == 0)
            {
                return false;
            }

            count = Math.Min(suffix, length);
            offset = length - count;
            return true;
        }

        if (!long.TryParse(a, n, inv, out offset) || offset >= length)
        {
            return false;
        }

        long end = length - 1;
        if (b.Length > 0 && (!long.TryParse(b, n, inv, out end) || end < offset))
        {
            return false;
        }

        end = Math.Min(end, length - 1);
        count = end - offset + 1;
        return true;
    }

    private Task DeleteBlobAsync(HttpContext context, Route route, RequestState state)
    {
        DemandWrite(context, state, route.Name, AccessScope.Delete);
        if (!_options.DeleteEnabled)
        {
            throw RegistryError.Unsupported("deletes are disabled on this registry (start it with --delete-enabled)");
        }

        var digest = ParseDigest(route.Reference);
        if (!_storage.UnlinkBlob(route.Name, digest))
        {
            throw RegistryError.BlobUnknown(digest.ToString());
        }

        context.Response.StatusCode = 202;
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    /// <summary>Fetches a blob from the upstream once (concurrent requests share the download), verified, into storage.</summary>
    private async Task MirrorBlobAsync(string repo, Digest digest, CancellationToken ct)
    {
        var key = (repo, digest);
        var lazy = _mirrorDownloads.GetOrAdd(key, _ => new Lazy<Task>(() => DownloadBlobAsync(repo, digest, _stopping)));
        try
        {
            await lazy.Value.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            if (lazy.Value.IsCompleted)
            {
                _mirrorDownloads.TryRemove(new KeyValuePair<(string, Digest), Lazy<Task>>(key, lazy));
            }
        }
    }

    private async Task DownloadBlobAsync(string repo, Digest digest, CancellationToken ct)
    {
        using var response = await _upstream!.GetBlobAsync(repo, digest, ct).ConfigureAwait(false);
        if (response is null)
        {
            return;
        }

        var session = _storage.StartUpload(repo);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 128 * 1024));
                await _storage.AppendAsync(session, reader, ct).ConfigureAwait(false);
                await reader.CompleteAsync().ConfigureAwait(false);
            }

            await _storage.CommitUploadAsync(session, digest, ct).ConfigureAwait(false);
            _metrics.RecordProxyFetch();
        }
        catch
        {
            _storage.CancelUpload(session);
            throw;
        }
    }
}
