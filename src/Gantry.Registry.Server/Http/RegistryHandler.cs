// Owns: the request pipeline of the registry: routing, auth checks, error bodies, access logs and metrics per request.
using System.Diagnostics;
using Gantry.Oci;
using Gantry.Registry.Server.Auth;
using Gantry.Registry.Server.Configuration;
using Gantry.Registry.Server.Observability;
using Gantry.Registry.Server.Proxy;
using Gantry.Registry.Server.Storage;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace Gantry.Registry.Server.Http;

/// <summary>Serves the OCI distribution API. One instance per server; every request goes through <see cref="HandleAsync"/>.</summary>
public sealed partial class RegistryHandler
{
    private const string ApiVersionHeader = "Docker-Distribution-API-Version";
    private readonly RegistryOptions _options;
    private readonly RegistryStorage _storage;
    private readonly Authorizer _auth;
    private readonly RegistryMetrics _metrics;
    private readonly AccessLog? _log;
    private readonly UpstreamRegistry? _upstream;
    private readonly CancellationToken _stopping;

    public RegistryHandler(RegistryOptions options, RegistryStorage storage, Authorizer auth, RegistryMetrics metrics, AccessLog? log, UpstreamRegistry? upstream, CancellationToken stopping)
    {
        _options = options;
        _storage = storage;
        _auth = auth;
        _metrics = metrics;
        _log = log;
        _upstream = upstream;
        _stopping = stopping;
    }

    private sealed class RequestState
    {
        public Caller Caller { get; set; } = Caller.Anonymous;

        public long BytesIn { get; set; }

        public string? Error { get; set; }
    }

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var start = Stopwatch.GetTimestamp();
        var request = context.Request;
        var response = context.Response;
        var route = Route.Match(request.Path.Value ?? "/");
        var state = new RequestState();
        var ct = context.RequestAborted;
        var head = HttpMethods.IsHead(request.Method);
        if (route.Kind is not (RouteKind.Metrics or RouteKind.Health or RouteKind.NotFound))
        {
            response.Headers[ApiVersionHeader] = "registry/2.0";
        }

        try
        {
            state.Caller = route.Kind is RouteKind.Metrics or RouteKind.Health ? Caller.Anonymous : _auth.Identify(context);
            await DispatchAsync(context, route, state, ct).ConfigureAwait(false);
        }
        catch (RegistryError e)
        {
            state.Error = e.Code;
            if (!response.HasStarted)
            {
                response.Headers.Remove("Docker-Content-Digest");
                response.Headers.Remove("Location");
                await e.WriteAsync(response, head, _stopping).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is BadHttpRequestException or ConnectionResetException || (ct.IsCancellationRequested && e is OperationCanceledException or IOException))
        {
            // The client went away or sent a broken body: nothing was committed; nobody is left to answer.
            state.Error = "client aborted: " + e.Message;
            if (!response.HasStarted && !ct.IsCancellationRequested)
            {
                await new RegistryError(400, "BLOB_UPLOAD_INVALID", "request body ended early or was malformed").WriteAsync(response, head, _stopping).ConfigureAwait(false);
            }
            else
            {
                context.Abort();
            }
        }
        catch (GantryException e)
        {
            state.Error = e.Message;
            if (!response.HasStarted)
            {
                await new RegistryError(_upstream is not null ? 502 : 500, "UNKNOWN", e.Message).WriteAsync(response, head, _stopping).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            state.Error = e.Message;
            if (!response.HasStarted)
            {
                await new RegistryError(500, "UNKNOWN", "storage error: " + e.Message).WriteAsync(response, head, _stopping).ConfigureAwait(false);
            }
        }
        finally
        {
            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var bytesIn = state.BytesIn > 0 ? state.BytesIn : request.ContentLength ?? 0;
            var bytesOut = head ? 0 : response.ContentLength ?? 0;
            _metrics.Record(route.Label, request.Method, response.StatusCode, bytesIn, bytesOut, seconds);
            _log?.Write(request.Method, request.Path.Value + request.QueryString.Value, response.StatusCode, bytesIn, bytesOut, seconds * 1000,
                context.Connection.RemoteIpAddress?.ToString(), state.Caller.Name, state.Error);
        }
    }

    private Task DispatchAsync(HttpContext context, Route route, RequestState state, CancellationToken ct)
    {
        var method = context.Request.Method;
        if (route.Kind is RouteKind.NotFound)
        {
            throw new RegistryError(404, "NOT_FOUND", "no such route", context.Request.Path.Value);
        }

        if (route.Kind is RouteKind.Manifest or RouteKind.Blob or RouteKind.UploadStart or RouteKind.Upload or RouteKind.Tags or RouteKind.Referrers
            && !RepositoryName.IsValid(route.Name))
        {
            throw RegistryError.NameInvalid(route.Name);
        }

        return (route.Kind, method) switch
        {
            (RouteKind.Base, "GET" or "HEAD") => BaseAsync(context, state),
            (RouteKind.Catalog, "GET") => CatalogAsync(context, state, ct),
            (RouteKind.Manifest, "GET" or "HEAD") => GetManifestAsync(context, route, state, ct),
            (RouteKind.Manifest, "PUT") => PutManifestAsync(context, route, state, ct),
            (RouteKind.Manifest, "DELETE") => DeleteManifestAsync(context, route, state),
            (RouteKind.Blob, "GET" or "HEAD") => GetBlobAsync(context, route, state, ct),
            (RouteKind.Blob, "DELETE") => DeleteBlobAsync(context, route, state),
            (RouteKind.UploadStart, "POST") => StartUploadAsync(context, route, state, ct),
            (RouteKind.Upload, "GET") => UploadStatusAsync(context, route, state, ct),
            (RouteKind.Upload, "PATCH") => PatchUploadAsync(context, route, state, ct),
            (RouteKind.Upload, "PUT") => FinishUploadAsync(context, route, state, ct),
            (RouteKind.Upload, "DELETE") => CancelUploadAsync(context, route, state),
            (RouteKind.Tags, "GET") => TagsAsync(context, route, state, ct),
            (RouteKind.Referrers, "GET") => ReferrersAsync(context, route, state, ct),
            (RouteKind.Token, "GET") => TokenAsync(context, state, ct),
            (RouteKind.Metrics, "GET") => MetricsAsync(context, ct),
            (RouteKind.Health, "GET" or "HEAD") => HealthAsync(context, ct),
            _ => throw new RegistryError(405, "UNSUPPORTED", $"method {method} is not supported on this route"),
        };
    }

    private void Demand(HttpContext context, RequestState state, string name, string action) =>
        _auth.Demand(context, state.Caller, "repository", name, action);

    private void DemandWrite(HttpContext context, RequestState state, string name, string action)
    {
        Demand(context, state, name, action);
        if (_options.ReadOnly)
        {
            throw RegistryError.Unsupported("the registry is read-only");
        }

        if (_upstream is not null)
        {
            throw RegistryError.Unsupported("a pull-through mirror does not accept pushes");
        }
    }

    private Task BaseAsync(HttpContext context, RequestState state)
    {
        if (_auth.Enabled && !state.Caller.PresentedCredentials && !_options.AnonymousPull)
        {
            throw RegistryError.Unauthorized(_auth.Challenge(context, null, false));
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = 2;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync("{}"u8.ToArray()).AsTask();
    }

    private static Digest ParseDigest(string value)
    {
        if (!Digest.TryParse(value, out var digest, out var error))
        {
            throw RegistryError.DigestInvalid(error);
        }

        return digest;
    }

    private static async Task WriteBytesAsync(HttpResponse response, ReadOnlyMemory<byte> body, bool head, CancellationToken ct)
    {
        response.ContentLength = body.Length;
        if (!head)
        {
            await response.Body.WriteAsync(body, ct).ConfigureAwait(false);
        }
    }
}
