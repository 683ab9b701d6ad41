// Owns: the distribution API calls against one registry: ping/login, manifests, blobs (resumable GET, HEAD, mount, upload), tags.
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gantry.Oci;
using Gantry.Registry.Client.Credentials;
using Gantry.Registry.Client.Transfer;
using Gantry.Registry.Client.Transport;

namespace Gantry.Registry.Client;

/// <summary>A manifest or index as fetched: its raw bytes, media type and (verified) digest.</summary>
public sealed record FetchedManifest(byte[] Bytes, string MediaType, Digest Digest)
{
    public Descriptor Descriptor => new() { MediaType = MediaType, Digest = Digest, Size = Bytes.Length };
}

/// <summary>How a blob got to the registry during a push.</summary>
public enum UploadOutcome
{
    AlreadyExists,
    Mounted,
    Pushed,
}

/// <summary>
/// Talks to one registry (host[:port], or a mirror endpoint). Requests run through retry → auth → TLS transport. Thread-safe;
/// dispose when done.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private const int MaxManifestBytes = 4 * 1024 * 1024;
    private readonly HttpClient _http;
    private readonly AuthHandler _auth;
    private readonly SocketsHttpHandler _transport;
    private readonly SemaphoreSlim _resolveLock = new(1, 1);
    private Uri? _baseUri;

    /// <param name="registry">The registry name as in image references (docker.io, ghcr.io, 127.0.0.1:5000).</param>
    /// <param name="endpoint">A fixed base URL (a mirror, or to force http/https); null works it out (https, then http for insecure hosts).</param>
    public RegistryClient(string registry, ICredentialProvider credentials, RegistryOptions? options = null, Uri? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(registry);
        ArgumentNullException.ThrowIfNull(credentials);
        Options = options ?? new RegistryOptions();
        Registry = endpoint is null ? RegistryHosts.ToHostname(registry) : endpoint.Authority;
        ApiHost = endpoint is null ? RegistryHosts.ApiHost(registry) : endpoint.Authority;
        _baseUri = endpoint is null ? null : new Uri(endpoint.GetLeftPart(UriPartial.Authority) + "/");
        _transport = TransportFactory.Create(ApiHost, Options);
        _auth = new AuthHandler(Registry, credentials, Options) { InnerHandler = _transport };
        var retry = new RetryHandler(Options.MaxRetries, Options.RetryDelay) { InnerHandler = _auth };
        _http = new HttpClient(retry, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(Options.UserAgent);
    }

    /// <summary>The registry name used for credentials and messages.</summary>
    public string Registry { get; }

    /// <summary>The host[:port] HTTP goes to.</summary>
    public string ApiHost { get; }

    public RegistryOptions Options { get; }

    /// <summary>The refresh token a Bearer login handed out (docker stores it as the identity token).</summary>
    public string? RefreshToken => _auth.RefreshToken;

    /// <summary>
    /// https://HOST/ or, for an insecure host that does not speak TLS, http://HOST/. An insecure host is asked over plain
    /// HTTP first, and any answer but 400 settles it: a TLS port answers plain HTTP with 400 (Go, nginx) or hangs up
    /// (Kestrel), and then https is tried, falling back to plain HTTP as before when that fails too. That spares a
    /// plain-HTTP registry the TLS handshake attempt and loading OpenSSL (a few milliseconds of every push and pull
    /// against a loopback registry). The ping carries no credentials.
    /// </summary>
    public async Task<Uri> GetBaseUriAsync(CancellationToken cancellationToken)
    {
        if (_baseUri is not null)
        {
            return _baseUri;
        }

        await _resolveLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_baseUri is not null)
            {
                return _baseUri;
            }

            using var invoker = new HttpMessageInvoker(_transport, disposeHandler: false);
            var insecure = Options.IsInsecure(ApiHost);
            var http = new Uri($"http://{ApiHost}/");
            if (insecure)
            {
                try
                {
                    using var plain = new HttpRequestMessage(HttpMethod.Get, new Uri(http, "/v2/"));
                    using var response = await invoker.SendAsync(plain, cancellationToken).ConfigureAwait(false);
                    if (response.StatusCode != HttpStatusCode.BadRequest)
                    {
                        _baseUri = http;
                        return _baseUri;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not a plain-HTTP server (or not up): https decides.
                }
            }

            var https = new Uri($"https://{ApiHost}/");
            try
            {
                using var ping = new HttpRequestMessage(HttpMethod.Get, new Uri(https, "/v2/"));
                using var response = await invoker.SendAsync(ping, cancellationToken).ConfigureAwait(false);
                _baseUri = https;
            }
            catch (HttpRequestException ex) when (insecure)
            {
                _ = ex;
                _baseUri = http;
            }
            catch (HttpRequestException ex)
            {
                throw new RegistryException(
                    $"cannot reach registry {Registry} over https ({ex.Message}): if it speaks plain HTTP, add it to the insecure registries (--insecure-registry or [registry] insecure in the gantry config)",
                    inner: ex);
            }

            return _baseUri;
        }
        finally
        {
            _resolveLock.Release();
        }
    }

    /// <summary>Verifies credentials as `docker login` does; throws <see cref="RegistryException"/> when refused.</summary>
    public async Task LoginAsync(CancellationToken cancellationToken)
    {
        var baseUri = await GetBaseUriAsync(cancellationToken).ConfigureAwait(false);
        await _auth.VerifyLoginAsync(baseUri, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gets a manifest or index by tag or digest; checks its digest against the one asked for (or the one the registry claims).</summary>
    public async Task<FetchedManifest> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        using var request = await NewRequestAsync(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}", cancellationToken).ConfigureAwait(false);
        request.WithScopes(RequestScope.Pull(repository));
        foreach (var type in MediaTypes.AllManifestTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"manifest for {Describe(repository, reference)}", cancellationToken).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength > MaxManifestBytes)
        {
            throw new RegistryException($"the manifest for {Describe(repository, reference)} is {response.Content.Headers.ContentLength} bytes, more than the 4 MiB a manifest may be");
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (bytes.Length > MaxManifestBytes)
        {
            throw new RegistryException($"the manifest for {Describe(repository, reference)} is more than the 4 MiB a manifest may be");
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var detected = OciJson.DetectMediaType(bytes, $"the manifest for {Describe(repository, reference)}");
        if (string.IsNullOrEmpty(mediaType) || !MediaTypes.IsManifestOrIndex(mediaType))
        {
            mediaType = detected;
        }

        if (!MediaTypes.IsManifestOrIndex(mediaType))
        {
            throw new RegistryException($"{Describe(repository, reference)} has the unsupported manifest media type '{mediaType}' (Gantry reads OCI and Docker v2 schema 2 manifests and indexes)", code: "MANIFEST_INVALID");
        }

        var expectedAlgorithm = Digest.TryParse(reference, out var asked) ? asked.Algorithm : Digest.Sha256;
        var actual = Digest.Compute(expectedAlgorithm, bytes);
        if (asked.Encoded is not null && actual != asked)
        {
            throw new DigestMismatchException($"the registry {Registry} returned a manifest for {Describe(repository, reference)} whose digest is {actual}, not the {asked} asked for; nothing was stored");
        }

        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var claimed)
            && claimed.Algorithm == Digest.Sha256 && asked.Encoded is null && Digest.Compute(bytes) != claimed)
        {
            throw new DigestMismatchException($"the registry {Registry} returned a manifest for {Describe(repository, reference)} whose digest is {Digest.Compute(bytes)}, not the {claimed} it announced; nothing was stored");
        }

        return new FetchedManifest(bytes, mediaType, actual);
    }

    /// <summary>HEADs a manifest; null when the registry does not have it.</summary>
    public async Task<Descriptor?> HeadManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        using var request = await NewRequestAsync(HttpMethod.Head, $"/v2/{repository}/manifests/{reference}", cancellationToken).ConfigureAwait(false);
        request.WithScopes(RequestScope.Pull(repository));
        foreach (var type in MediaTypes.AllManifestTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, $"manifest for {Describe(repository, reference)}", cancellationToken).ConfigureAwait(false);
        if (!response.Headers.TryGetValues("Docker-Content-Digest", out var values) || !Digest.TryParse(values.FirstOrDefault(), out var digest))
        {
            return null;
        }

        return new Descriptor
        {
            MediaType = response.Content.Headers.ContentType?.MediaType ?? MediaTypes.OciManifest,
            Digest = digest,
            Size = response.Content.Headers.ContentLength ?? 0,
        };
    }

    /// <summary>PUTs a manifest or index under a tag or its digest; returns the digest the registry computed.</summary>
    public async Task<Digest> PutManifestAsync(string repository, string reference, string mediaType, byte[] bytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var request = await NewRequestAsync(HttpMethod.Put, $"/v2/{repository}/manifests/{reference}", cancellationToken).ConfigureAwait(false);
        request.WithScopes(RequestScope.PushPull(repository));
        request.Content = new ByteArrayContent(bytes);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"manifest {Describe(repository, reference)}", cancellationToken).ConfigureAwait(false);
        var digest = Digest.Compute(bytes);
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var claimed) && claimed != digest)
        {
            throw new DigestMismatchException($"the registry {Registry} stored manifest {Describe(repository, reference)} as {claimed}, but its bytes digest to {digest}");
        }

        return digest;
    }

    /// <summary>The size of a blob at the registry, or null when absent.</summary>
    public async Task<long?> HeadBlobAsync(string repository, Digest digest, CancellationToken cancellationToken, bool forPush = false)
    {
        using var request = await NewRequestAsync(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}", cancellationToken).ConfigureAwait(false);
        request.WithScopes(forPush ? RequestScope.PushPull(repository) : RequestScope.Pull(repository));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, $"blob {digest} in {Registry}/{repository}", cancellationToken).ConfigureAwait(false);
        return response.Content.Headers.ContentLength ?? -1;
    }

    /// <summary>
    /// Opens a blob for reading. The stream resumes with Range requests after a dropped connection; it does not verify —
    /// wrap it in <see cref="VerifyingStream"/> (the pull engine does).
    /// </summary>
    public async Task<ResumableBlobStream> OpenBlobAsync(string repository, Descriptor blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var first = await OpenBlobAtAsync(repository, blob, 0, cancellationToken).ConfigureAwait(false);
        return new ResumableBlobStream((offset, ct) => OpenBlobAtAsync(repository, blob, offset, ct), blob.Size, Options.MaxRetries, Options.RetryDelay, first, $"blob {blob.Digest} from {Registry}/{repository}");
    }

    private async Task<Stream> OpenBlobAtAsync(string repository, Descriptor blob, long offset, CancellationToken cancellationToken)
    {
        var request = await NewRequestAsync(HttpMethod.Get, $"/v2/{repository}/blobs/{blob.Digest}", cancellationToken).ConfigureAwait(false);
        request.WithScopes(RequestScope.Pull(repository));
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            request.Dispose();
        }

        try
        {
            await EnsureSuccessAsync(response, $"blob {blob.Digest} of {Registry}/{repository}", cancellationToken).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            if (offset > 0 && response.StatusCode != HttpStatusCode.PartialContent)
            {
                // The registry ignored Range: skip what we already have.
                var skip = new byte[81920];
                var left = offset;
                while (left > 0)
                {
                    var n = await stream.ReadAsync(skip.AsMemory(0, (int)Math.Min(skip.Length, left)), cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        throw new IOException($"blob {blob.Digest} ended before byte {offset}");
                    }

                    left -= n;
                }
            }
            else if (offset > 0 && response.Content.Headers.ContentRange is { From: { } from } && from != offset)
            {
                throw new RegistryException($"the registry {Registry} resumed blob {blob.Digest} at byte {from} instead of {offset}");
            }

            return new ResponseStream(stream, response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Lists every tag of a repository, following pagination links.</summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(string repository, CancellationToken cancellationToken)
    {
        var tags = new List<string>();
        string? path = $"/v2/{repository}/tags/list";
        while (path is not null)
        {
            using var request = await NewRequestAsync(HttpMethod.Get, path, cancellationToken).ConfigureAwait(false);
            request.WithScopes(RequestScope.Pull(repository));
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            await EnsureSuccessAsync(response, $"tags of {Registry}/{repository}", cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            TagList? list;
            try
            {
                list = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.TagList);
            }
            catch (JsonException ex)
            {
                throw new RegistryException($"the tag list of {Registry}/{repository} is not valid JSON: {ex.Message}", inner: ex);
            }

            tags.AddRange(list?.Tags ?? []);
            path = NextLink(response);
        }

        return tags;
    }

    private static string? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var link in links)
        {
            var start = link.IndexOf('<', StringComparison.Ordinal);
            var end = link.IndexOf('>', StringComparison.Ordinal);
            if (start >= 0 && end > start && link.Contains("rel=\"next\"", StringComparison.Ordinal))
            {
                return link[(start + 1)..end];
            }
        }

        return null;
    }

    /// <summary>
    /// Gets <paramref name="blob"/> into <paramref name="repository"/>: HEAD (already there), then a cross-repository mount from
    /// each of <paramref name="mountFrom"/>, then an upload — monolithic PUT, falling back to PATCH chunks; after a dropped
    /// connection the upload status is queried and the upload continues from the registry's offset (or restarts).
    /// </summary>
    public async Task<(UploadOutcome Outcome, string? MountedFrom)> UploadBlobAsync(string repository, Descriptor blob,
        Func<CancellationToken, ValueTask<Stream>> open, IEnumerable<string>? mountFrom, Action<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(open);
        if (await HeadBlobAsync(repository, blob.Digest, cancellationToken, forPush: true).ConfigureAwait(false) is not null)
        {
            return (UploadOutcome.AlreadyExists, null);
        }

        // No /v2/ ping first: the HEAD above learned the challenge if the registry wants one for this repository, and a
        // registry that reads anonymously but wants credentials to write says so on the body-less POST below, which the
        // auth handler re-sends with them; the streamed PUT or PATCH then goes out authorized.
        var baseUri = await GetBaseUriAsync(cancellationToken).ConfigureAwait(false);
        Uri? location = null;
        foreach (var source in mountFrom ?? [])
        {
            if (source == repository)
            {
                continue;
            }

            using var mount = await NewRequestAsync(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/?mount={Uri.EscapeDataString(blob.Digest.ToString())}&from={Uri.EscapeDataString(source)}", cancellationToken).ConfigureAwait(false);
            mount.WithScopes(RequestScope.PushPull(repository), RequestScope.Pull(source));
            using var response = await _http.SendAsync(mount, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                return (UploadOutcome.Mounted, source);
            }

            if (response.StatusCode == HttpStatusCode.Accepted && response.Headers.Location is { } started)
            {
                location = new Uri(baseUri, started);
                break;
            }
        }

        var chunked = blob.Size > Options.MonolithicUploadLimit;
        long offset = 0;
        var attempts = 0;
        var resumed = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            location ??= await StartUploadAsync(repository, cancellationToken).ConfigureAwait(false);
            try
            {
                if (!chunked && offset == 0)
                {
                    var status = await PutWholeAsync(repository, location, blob, open, progress, cancellationToken).ConfigureAwait(false);
                    if (status is null)
                    {
                        return (UploadOutcome.Pushed, null);
                    }

                    // The registry refused a monolithic upload: start again in chunks.
                    chunked = true;
                    location = null;
                    continue;
                }

                await PatchFromAsync(repository, location, blob, offset, resumed, open, progress, cancellationToken).ConfigureAwait(false);
                return (UploadOutcome.Pushed, null);
            }
            catch (Exception ex) when ((RetryHandler.IsTransient(ex) || ex is UploadInterruptedException) && attempts < Options.MaxRetries && !cancellationToken.IsCancellationRequested)
            {
                attempts++;
                await Task.Delay(Options.RetryDelay * attempts, cancellationToken).ConfigureAwait(false);
                (location, offset) = await QueryUploadAsync(repository, ex is UploadInterruptedException u ? u.Location : location, cancellationToken).ConfigureAwait(false);
                resumed = location is not null;
                if (offset > 0)
                {
                    chunked = true;
                }
            }
        }
    }

    private async Task<Uri> StartUploadAsync(string repository, CancellationToken cancellationToken)
    {
        using var request = await NewRequestAsync(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/", cancellationToken).ConfigureAwait(false);
        request.WithScopes(RequestScope.PushPull(repository));
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"upload to {Registry}/{repository}", cancellationToken).ConfigureAwait(false);
        var baseUri = await GetBaseUriAsync(cancellationToken).ConfigureAwait(false);
        return response.Headers.Location is { } loc
            ? new Uri(baseUri, loc)
            : throw new RegistryException($"the registry {Registry} started an upload to {repository} without a Location header");
    }

    /// <summary>Returns null on success, or the status when the registry refuses monolithic uploads (then chunks are tried).</summary>
    private async Task<HttpStatusCode?> PutWholeAsync(string repository, Uri location, Descriptor blob, Func<CancellationToken, ValueTask<Stream>> open,
        Action<long>? progress, CancellationToken cancellationToken)
    {
        var content = await open(cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest));
            request.WithScopes(RequestScope.PushPull(repository));
            request.Content = new StreamContent(new ProgressStream(content, progress, leaveOpen: true), 1024 * 1024);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Content.Headers.ContentLength = blob.Size;
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.NoContent)
            {
                return null;
            }

            if (response.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.NotImplemented or HttpStatusCode.Accepted)
            {
                return response.StatusCode;
            }

            if (RetryHandler.IsTransient(response.StatusCode) || response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new UploadInterruptedException(location, $"{(int)response.StatusCode}");
            }

            await EnsureSuccessAsync(response, $"blob {blob.Digest} upload to {Registry}/{repository}", cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>
    /// Streams the blob from <paramref name="offset"/> in PATCH requests of at most <see cref="RegistryOptions.ChunkSize"/>
    /// bytes (with Content-Range), then closes the upload with PUT ?digest=. A dropped connection surfaces as
    /// <see cref="UploadInterruptedException"/> carrying the session's latest location, so the caller can ask for the offset.
    /// </summary>
    private async Task PatchFromAsync(string repository, Uri location, Descriptor blob, long offset, bool resumed, Func<CancellationToken, ValueTask<Stream>> open,
        Action<long>? progress, CancellationToken cancellationToken)
    {
        var content = await open(cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            if (offset > 0)
            {
                if (content.CanSeek)
                {
                    content.Seek(offset, SeekOrigin.Begin);
                }
                else
                {
                    await SkipAsync(content, offset, cancellationToken).ConfigureAwait(false);
                }

                progress?.Invoke(offset);
            }

            while (offset < blob.Size)
            {
                var length = Math.Min(Options.ChunkSize, blob.Size - offset);
                using var request = new HttpRequestMessage(HttpMethod.Patch, location);
                request.WithScopes(RequestScope.PushPull(repository));

                // Expect: 100-continue, so a chunk the registry refuses up front (416: the offset moved) costs no body bytes.
                request.Headers.ExpectContinue = true;
                request.Content = new StreamContent(new ProgressStream(new SliceStream(content, length, blob.Digest, offset), progress, leaveOpen: true), 1024 * 1024);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Content.Headers.ContentLength = length;
                if (offset > 0 || length < blob.Size || resumed)
                {
                    // A chunk, or anything sent into a session that was interrupted, names its range: the offset the
                    // registry reported may be stale (the cut request can still be landing), and a registry whose
                    // offset moved refuses the range with 416 instead of appending the bytes twice. The whole blob in
                    // one PATCH of a fresh session is a plain streamed upload, sent without Content-Range as the
                    // distribution spec and docker do.
                    request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
                }

                using var response = await SendUploadAsync(request, location, cancellationToken).ConfigureAwait(false);
                if (RetryHandler.IsTransient(response.StatusCode) || response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.RequestedRangeNotSatisfiable)
                {
                    throw new UploadInterruptedException(location, $"{(int)response.StatusCode}");
                }

                await EnsureSuccessAsync(response, $"blob {blob.Digest} upload to {Registry}/{repository}", cancellationToken).ConfigureAwait(false);
                offset += length;
                if (response.Headers.Location is { } next)
                {
                    location = new Uri(location, next);
                }
            }

            using var put = new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest));
            put.WithScopes(RequestScope.PushPull(repository));
            put.Content = new ByteArrayContent([]);
            put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var done = await SendUploadAsync(put, location, cancellationToken).ConfigureAwait(false);
            if (RetryHandler.IsTransient(done.StatusCode))
            {
                throw new UploadInterruptedException(location, $"{(int)done.StatusCode}");
            }

            await EnsureSuccessAsync(done, $"blob {blob.Digest} upload to {Registry}/{repository}", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends an upload request; a dropped connection becomes an <see cref="UploadInterruptedException"/> at <paramref name="location"/>.</summary>
    private async Task<HttpResponseMessage> SendUploadAsync(HttpRequestMessage request, Uri location, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RetryHandler.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw new UploadInterruptedException(location, ex.Message, ex);
        }
    }

    /// <summary>Asks where an interrupted upload stands; a fresh upload (offset 0) when the registry has forgotten it.</summary>
    private async Task<(Uri? Location, long Offset)> QueryUploadAsync(string repository, Uri? location, CancellationToken cancellationToken)
    {
        if (location is null)
        {
            return (null, 0);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, location);
        request.WithScopes(RequestScope.PushPull(repository));
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NoContent && response.Headers.TryGetValues("Range", out var ranges))
            {
                var range = ranges.First();
                var dash = range.IndexOf('-', StringComparison.Ordinal);
                if (dash > 0 && long.TryParse(range[(dash + 1)..], out var last))
                {
                    // "0-0" is what registries answer for an empty session too: continue from 0 (a wrong guess gets a 416).
                    var next = response.Headers.Location is { } l ? new Uri(location, l) : location;
                    return (next, last == 0 ? 0 : last + 1);
                }
            }
        }
        catch (Exception ex) when (RetryHandler.IsTransient(ex))
        {
        }

        return (null, 0);
    }

    private static async Task SkipAsync(Stream stream, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        while (count > 0)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("blob ended while skipping to the resume offset");
            }

            count -= n;
        }
    }

    private static Uri WithDigest(Uri location, Digest digest)
    {
        var s = location.ToString();
        return new Uri(s + (s.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest.ToString()));
    }

    private async Task<HttpRequestMessage> NewRequestAsync(HttpMethod method, string pathAndQuery, CancellationToken cancellationToken)
    {
        var baseUri = await GetBaseUriAsync(cancellationToken).ConfigureAwait(false);
        return new HttpRequestMessage(method, new Uri(baseUri, pathAndQuery));
    }

    private string Describe(string repository, string reference) =>
        Digest.TryParse(reference, out _) ? $"{Registry}/{repository}@{reference}" : $"{Registry}/{repository}:{reference}";

    /// <summary>Throws a <see cref="RegistryException"/> with a clear message for any non-success answer.</summary>
    internal async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        RegistryError? error = null;
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length > 0)
            {
                error = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.RegistryErrorList)?.Errors?.FirstOrDefault();
            }
        }
        catch (JsonException)
        {
        }

        var code = error?.Code;
        var detail = string.IsNullOrEmpty(error?.Message) ? string.Empty : $" ({error!.Message})";
        var status = response.StatusCode;
        var message = (status, code) switch
        {
            (_, "MANIFEST_UNKNOWN") or (HttpStatusCode.NotFound, _) when what.StartsWith("manifest", StringComparison.Ordinal) =>
                $"{what} not found: manifest unknown: check the name and tag (gantry pull NAME:TAG)",
            (_, "NAME_UNKNOWN") => $"repository for {what} not found at {Registry}: name unknown",
            (_, "BLOB_UNKNOWN") or (HttpStatusCode.NotFound, _) => $"{what} not found at {Registry}{detail}",
            (_, "DENIED") or (HttpStatusCode.Forbidden, _) => $"denied: requested access to the resource is denied ({what}){detail}: check that you are logged in to {Registry} with an account that may access it",
            (HttpStatusCode.Unauthorized, _) or (_, "UNAUTHORIZED") => $"unauthorized: authentication required for {what}{detail}: run 'gantry login {Registry}'",
            (HttpStatusCode.TooManyRequests, _) or (_, "TOOMANYREQUESTS") => $"toomanyrequests: {Registry} is rate limiting requests for {what}{detail}: wait a while, log in for a higher limit, or use a registry mirror",
            _ => $"the registry {Registry} answered {(int)status} {response.ReasonPhrase} for {what}{(code is null ? string.Empty : " [" + code + "]")}{detail}",
        };
        throw new RegistryException(message, status, code);
    }

    public void Dispose()
    {
        _http.Dispose();
        _resolveLock.Dispose();
    }

    /// <summary>A response body stream that disposes its response with it.</summary>
    private sealed class ResponseStream(Stream inner, HttpResponseMessage response) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
