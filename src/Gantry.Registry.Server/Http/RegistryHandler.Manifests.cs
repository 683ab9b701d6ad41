// Owns: the manifest routes: GET/HEAD by tag or digest (with mirroring), PUT with validation, DELETE.
using System.Buffers;
using System.Collections.Concurrent;
using Gantry.Oci;
using Gantry.Registry.Server.Auth;
using Gantry.Registry.Server.Storage;
using Microsoft.AspNetCore.Http;

namespace Gantry.Registry.Server.Http;

public sealed partial class RegistryHandler
{
    private readonly ConcurrentDictionary<(string Repo, string Tag), DateTimeOffset> _mirroredTags = new();

    private async Task GetManifestAsync(HttpContext context, Route route, RequestState state, CancellationToken ct)
    {
        Demand(context, state, route.Name, AccessScope.Pull);
        var head = HttpMethods.IsHead(context.Request.Method);
        var repo = route.Name;
        Digest digest;
        if (route.Reference.Contains(':', StringComparison.Ordinal))
        {
            digest = ParseDigest(route.Reference);
            if (_upstream is not null && !_storage.HasManifest(repo, digest))
            {
                await MirrorManifestAsync(repo, route.Reference, digest, ct).ConfigureAwait(false);
            }
        }
        else
        {
            if (!RepositoryName.IsValidTag(route.Reference))
            {
                throw RegistryError.ManifestUnknown(route.Reference);
            }

            Digest? resolved = null;
            if (_upstream is not null)
            {
                resolved = await MirrorTagAsync(repo, route.Reference, ct).ConfigureAwait(false);
            }

            resolved ??= _storage.ResolveTag(repo, route.Reference);
            digest = resolved ?? throw RegistryError.ManifestUnknown(route.Reference);
        }

        var manifest = await _storage.GetManifestAsync(repo, digest, ct).ConfigureAwait(false)
            ?? throw RegistryError.ManifestUnknown(route.Reference);
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = manifest.MediaType;
        response.Headers["Docker-Content-Digest"] = digest.ToString();
        response.Headers.ETag = $"\"{digest}\"";
        await WriteBytesAsync(response, manifest.Bytes, head, ct).ConfigureAwait(false);
    }

    private async Task PutManifestAsync(HttpContext context, Route route, RequestState state, CancellationToken ct)
    {
        DemandWrite(context, state, route.Name, AccessScope.Push);
        var repo = route.Name;
        string? tag = null;
        Digest? byDigest = null;
        if (route.Reference.Contains(':', StringComparison.Ordinal))
        {
            byDigest = ParseDigest(route.Reference);
        }
        else if (RepositoryName.IsValidTag(route.Reference))
        {
            tag = route.Reference;
        }
        else
        {
            throw new RegistryError(400, "TAG_INVALID", "manifest tag is not valid: use [A-Za-z0-9_][A-Za-z0-9._-]{0,127}", route.Reference);
        }

        var bytes = await ReadLimitedAsync(context.Request, _options.MaxManifestBytes, ct).ConfigureAwait(false);
        state.BytesIn = bytes.Length;
        var info = ManifestInfo.Parse(bytes, context.Request.ContentType);
        var digest = Digest.Compute(byDigest?.Algorithm ?? Digest.Sha256, bytes);
        if (byDigest is { } expected && expected != digest)
        {
            throw RegistryError.DigestInvalid($"the manifest's {expected.Algorithm} digest is {digest}, not {expected}");
        }

        // Tag pushes may also name extra tags (OCI 1.1 ?tag=), handled the same way.
        await _storage.PutManifestAsync(repo, tag, bytes, digest, info, ct).ConfigureAwait(false);
        foreach (var extra in context.Request.Query["tag"])
        {
            if (extra is not null && RepositoryName.IsValidTag(extra))
            {
                await _storage.PutManifestAsync(repo, extra, bytes, digest, info, ct).ConfigureAwait(false);
            }
        }

        var response = context.Response;
        response.StatusCode = 201;
        response.Headers.Location = $"/v2/{repo}/manifests/{digest}";
        response.Headers["Docker-Content-Digest"] = digest.ToString();
        if (info.Subject is { } subject)
        {
            response.Headers["OCI-Subject"] = subject.ToString();
        }

        response.ContentLength = 0;
    }

    private Task DeleteManifestAsync(HttpContext context, Route route, RequestState state)
    {
        DemandWrite(context, state, route.Name, AccessScope.Delete);
        if (!_options.DeleteEnabled)
        {
            throw RegistryError.Unsupported("deletes are disabled on this registry (start it with --delete-enabled)");
        }

        if (route.Reference.Contains(':', StringComparison.Ordinal))
        {
            var digest = ParseDigest(route.Reference);
            if (!_storage.DeleteManifest(route.Name, digest))
            {
                throw RegistryError.ManifestUnknown(route.Reference);
            }
        }
        else if (!RepositoryName.IsValidTag(route.Reference) || !_storage.DeleteTag(route.Name, route.Reference))
        {
            throw RegistryError.ManifestUnknown(route.Reference);
        }

        context.Response.StatusCode = 202;
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    /// <summary>Reads a request body of at most <paramref name="limit"/> bytes; larger is 413.</summary>
    private static async Task<byte[]> ReadLimitedAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            throw RegistryError.TooLarge(limit);
        }

        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            if (result.Buffer.Length > limit)
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                throw RegistryError.TooLarge(limit);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    // ---------------------------------------------------------------- mirroring

    private async Task<Digest?> MirrorTagAsync(string repo, string tag, CancellationToken ct)
    {
        var local = _storage.ResolveTag(repo, tag);
        if (local is not null && _mirroredTags.TryGetValue((repo, tag), out var at) && DateTimeOffset.UtcNow - at < _options.ProxyTagTtl)
        {
            return local;
        }

        try
        {
            var fetched = await _upstream!.GetManifestAsync(repo, tag, _options.MaxManifestBytes, ct).ConfigureAwait(false);
            if (fetched is null)
            {
                return local;
            }

            var digest = Digest.Compute(fetched.Value.Bytes);
            var info = ManifestInfo.Parse(fetched.Value.Bytes, fetched.Value.MediaType);
            await _storage.PutManifestAsync(repo, tag, fetched.Value.Bytes, digest, info, ct, verifyReferences: false).ConfigureAwait(false);
            _metrics.RecordProxyFetch();
            _mirroredTags[(repo, tag)] = DateTimeOffset.UtcNow;
            return digest;
        }
        catch (Exception e) when (local is not null && e is HttpRequestException or GantryException or RegistryError)
        {
            // Upstream unreachable: serve what the mirror already has.
            return local;
        }
    }

    private async Task MirrorManifestAsync(string repo, string reference, Digest digest, CancellationToken ct)
    {
        var fetched = await _upstream!.GetManifestAsync(repo, reference, _options.MaxManifestBytes, ct).ConfigureAwait(false);
        if (fetched is null)
        {
            return;
        }

        var actual = Digest.Compute(digest.Algorithm, fetched.Value.Bytes);
        if (actual != digest)
        {
            throw new GantryException($"upstream sent a manifest for {repo}@{digest} whose digest is {actual}");
        }

        var info = ManifestInfo.Parse(fetched.Value.Bytes, fetched.Value.MediaType);
        await _storage.PutManifestAsync(repo, null, fetched.Value.Bytes, digest, info, ct, verifyReferences: false).ConfigureAwait(false);
        _metrics.RecordProxyFetch();
    }
}
