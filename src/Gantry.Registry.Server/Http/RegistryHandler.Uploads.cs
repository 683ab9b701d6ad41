// Owns: the blob upload routes: POST (new, monolithic ?digest=, cross-repository mount), PATCH chunks, PUT, GET status, DELETE.
using System.Globalization;
using Gantry.Oci;
using Gantry.Registry.Server.Auth;
using Gantry.Registry.Server.Configuration;
using Gantry.Registry.Server.Storage;
using Microsoft.AspNetCore.Http;

namespace Gantry.Registry.Server.Http;

public sealed partial class RegistryHandler
{
    private async Task StartUploadAsync(HttpContext context, Route route, RequestState state, CancellationToken ct)
    {
        DemandWrite(context, state, route.Name, AccessScope.Push);
        var repo = route.Name;
        var query = context.Request.Query;
        var response = context.Response;

        string? mount = query["mount"];
        if (!string.IsNullOrEmpty(mount))
        {
            var digest = ParseDigest(mount);
            string? from = query["from"];
            if (!string.IsNullOrEmpty(from) && RepositoryName.IsValid(from)
                && _auth.Allows(state.Caller, "repository", from, AccessScope.Pull)
                && _storage.GetBlobSize(from, digest) is not null
                && _storage.LinkBlob(repo, digest))
            {
                response.StatusCode = 201;
                response.Headers.Location = $"/v2/{repo}/blobs/{digest}";
                response.Headers["Docker-Content-Digest"] = digest.ToString();
                response.ContentLength = 0;
                return;
            }

            // Not mountable: fall back to a normal upload session, as the spec says.
        }

        string? digestParam = query["digest"];
        var session = _storage.StartUpload(repo);
        if (!string.IsNullOrEmpty(digestParam))
        {
            var digest = ParseDigest(digestParam);
            await CompleteAsync(context, session, digest, state, ct).ConfigureAwait(false);
            return;
        }

        WriteUploadHeaders(response, session, 202);
    }

    private static void WriteUploadHeaders(HttpResponse response, UploadSession session, int status)
    {
        response.StatusCode = status;
        response.Headers.Location = $"/v2/{session.Repository}/blobs/uploads/{session.Id}";
        response.Headers["Docker-Upload-UUID"] = session.Id;
        response.Headers.Range = session.Offset == 0 ? "0-0" : $"0-{session.Offset - 1}";
        response.ContentLength = 0;
    }

    private UploadSession FindUpload(Route route) =>
        _storage.GetUpload(route.Name, route.Reference) ?? throw RegistryError.BlobUploadUnknown();

    /// <summary>
    /// The upload's offset. A request still writing into the session (typically one whose client was just cut off and
    /// is now asking where to resume) is waited for, up to <see cref="RegistryOptions.UploadStatusSettle"/>, so the offset reported is
    /// the one the next chunk must start at rather than a stale one.
    /// </summary>
    private async Task UploadStatusAsync(HttpContext context, Route route, RequestState state, CancellationToken ct)
    {
        DemandWrite(context, state, route.Name, AccessScope.Push);
        var session = FindUpload(route);
        var settled = await session.Gate.WaitAsync(_options.UploadStatusSettle, ct).ConfigureAwait(false);
        try
        {
            WriteUploadHeaders(context.Response, session, 204);
        }
        finally
        {
            if (settled)
            {
                session.Gate.Release();
            }
        }
    }

    private async Task PatchUploadAsync(HttpContext context, Route route, RequestState state, CancellationToken ct)
    {
        DemandWrite(context, state, route.Name, AccessScope.Push);
        var session = FindUpload(route);
        await session.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (session.Closed)
            {
                throw RegistryError.BlobUploadUnknown();
            }

            CheckContentRange(context.Request, session);
            state.BytesIn = await _storage.AppendAsync(session, context.Request.BodyReader, ct).ConfigureAwait(false);
            WriteUploadHeaders(context.Response, session, 202);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>A chunk's Content-Range must start exactly at the current offset (else 416 with the current Range).</summary>
    private static void CheckContentRange(HttpRequest request, UploadSession session)
    {
        var header = request.Headers.ContentRange.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return;
        }

        var value = header.Trim();
        if (value.StartsWith("bytes", StringComparison.OrdinalIgnoreCase))
        {
            value = value[5..].TrimStart('=', ' ');
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            value = value[..slash];
        }

        var dash = value.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !long.TryParse(value[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            || !long.TryParse(value[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            || end < start)
        {
            throw RegistryError.RangeInvalid(session.Offset);
        }

        if (start != session.Offset)
        {
            throw RegistryError.RangeInvalid(session.Offset);
        }

        if (request.ContentLength is long length && length != end - start + 1)
        {
            throw RegistryError.RangeInvalid(session.Offset);
        }
    }

    private async Task FinishUploadAsync(HttpContext context, Route route, RequestState state, CancellationToken ct)
    {
        DemandWrite(context, state, route.Name, AccessScope.Push);
        var session = FindUpload(route);
        string? digestParam = context.Request.Query["digest"];
        if (string.IsNullOrEmpty(digestParam))
        {
            throw RegistryError.DigestInvalid("the final PUT needs ?digest=");
        }

        var digest = ParseDigest(digestParam);
        await session.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (session.Closed)
            {
                throw RegistryError.BlobUploadUnknown();
            }

            await CompleteAsync(context, session, digest, state, ct).ConfigureAwait(false);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>Appends any body as the last chunk, verifies the digest, renames the blob into place; 201.</summary>
    private async Task CompleteAsync(HttpContext context, UploadSession session, Digest digest, RequestState state, CancellationToken ct)
    {
        try
        {
            if (context.Request.ContentLength is not 0)
            {
                CheckContentRange(context.Request, session);
                state.BytesIn = await _storage.AppendAsync(session, context.Request.BodyReader, ct).ConfigureAwait(false);
                if (context.Request.ContentLength is long expected && state.BytesIn != expected)
                {
                    _storage.CancelUpload(session);
                    throw RegistryError.SizeInvalid($"Content-Length was {expected}, received {state.BytesIn}");
                }
            }

            await _storage.CommitUploadAsync(session, digest, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RegistryError { Status: 416 })
        {
            // Anything short of a committed blob leaves nothing behind.
            _storage.CancelUpload(session);
            throw;
        }

        var response = context.Response;
        response.StatusCode = 201;
        response.Headers.Location = $"/v2/{session.Repository}/blobs/{digest}";
        response.Headers["Docker-Content-Digest"] = digest.ToString();
        response.ContentLength = 0;
    }

    private async Task CancelUploadAsync(HttpContext context, Route route, RequestState state)
    {
        DemandWrite(context, state, route.Name, AccessScope.Push);
        var session = FindUpload(route);
        await session.Gate.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        try
        {
            _storage.CancelUpload(session);
        }
        finally
        {
            session.Gate.Release();
        }

        context.Response.StatusCode = 204;
        context.Response.ContentLength = 0;
    }
}
