// Owns: the discovery and service routes: tags list and catalog (n/last + Link), referrers, token endpoint, metrics, health.
using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Gantry.Oci;
using Gantry.Registry.Server.Auth;
using Microsoft.AspNetCore.Http;

namespace Gantry.Registry.Server.Http;

public sealed partial class RegistryHandler
{
    private async Task TagsAsync(HttpContext context, Route route, RequestState state, CancellationToken ct)
    {
        Demand(context, state, route.Name, AccessScope.Pull);
        var tags = _storage.ListTagsOrNull(route.Name) ?? throw RegistryError.NameUnknown(route.Name);
        var (page, next) = Paginate(context.Request, tags);
        if (next is not null)
        {
            context.Response.Headers.Link = $"</v2/{route.Name}/tags/list?n={page.Count}&last={Uri.EscapeDataString(next)}>; rel=\"next\"";
        }

        await WriteJsonAsync(context.Response, w =>
        {
            w.WriteString("name", route.Name);
            w.WriteStartArray("tags");
            foreach (var t in page)
            {
                w.WriteStringValue(t);
            }

            w.WriteEndArray();
        }, ct).ConfigureAwait(false);
    }

    private async Task CatalogAsync(HttpContext context, RequestState state, CancellationToken ct)
    {
        _auth.Demand(context, state.Caller, "registry", "catalog", "*");
        var repos = _storage.ListRepositories();
        var (page, next) = Paginate(context.Request, repos);
        if (next is not null)
        {
            context.Response.Headers.Link = $"</v2/_catalog?n={page.Count}&last={Uri.EscapeDataString(next)}>; rel=\"next\"";
        }

        await WriteJsonAsync(context.Response, w =>
        {
            w.WriteStartArray("repositories");
            foreach (var r in page)
            {
                w.WriteStringValue(r);
            }

            w.WriteEndArray();
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Applies <c>?last=</c> (exclusive, lexical) and <c>?n=</c>; returns the page and the last entry when more follow.</summary>
    private static (IReadOnlyList<string> Page, string? Next) Paginate(HttpRequest request, IReadOnlyList<string> all)
    {
        string? last = request.Query["last"];
        IEnumerable<string> items = all;
        if (!string.IsNullOrEmpty(last))
        {
            items = items.Where(t => string.CompareOrdinal(t, last) > 0);
        }

        string? nText = request.Query["n"];
        if (string.IsNullOrEmpty(nText))
        {
            return (items.ToList(), null);
        }

        if (!int.TryParse(nText, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw new RegistryError(400, "PAGINATION_NUMBER_INVALID", "invalid number of results requested", nText);
        }

        var rest = items.ToList();
        var page = rest.Take(n).ToList();
        return (page, rest.Count > page.Count && page.Count > 0 ? page[^1] : null);
    }

    private async Task ReferrersAsync(HttpContext context, Route route, RequestState state, CancellationToken ct)
    {
        Demand(context, state, route.Name, AccessScope.Pull);
        var subject = ParseDigest(route.Reference);
        string? artifactType = context.Request.Query["artifactType"];
        if (string.IsNullOrEmpty(artifactType))
        {
            artifactType = null;
        }

        var entries = _storage.ListReferrers(route.Name, subject, artifactType);
        if (artifactType is not null)
        {
            context.Response.Headers["OCI-Filters-Applied"] = "artifactType";
        }

        context.Response.StatusCode = 200;
        await WriteJsonAsync(context.Response, w =>
        {
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", MediaTypes.OciIndex);
            w.WriteStartArray("manifests");
            foreach (var e in entries)
            {
                w.WriteRawValue(e, skipInputValidation: true);
            }

            w.WriteEndArray();
        }, ct, MediaTypes.OciIndex).ConfigureAwait(false);
    }

    /// <summary>The token endpoint: <c>GET /token?service=S&amp;scope=repository:NAME:pull,push</c> with optional Basic auth.</summary>
    private async Task TokenAsync(HttpContext context, RequestState state, CancellationToken ct)
    {
        if (!_auth.Enabled)
        {
            throw new RegistryError(404, "UNSUPPORTED", "this registry has no authentication, so it issues no tokens");
        }

        if (state.Caller.Token is not null)
        {
            throw new RegistryError(401, "UNAUTHORIZED", "use Basic credentials (or none) to request a token");
        }

        var requested = new List<AccessScope>();
        foreach (var s in context.Request.Query["scope"])
        {
            foreach (var part in (s ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (AccessScope.Parse(part) is { } scope)
                {
                    requested.Add(scope);
                }
            }
        }

        var granted = _auth.Grant(state.Caller, requested);
        var lifetime = _options.TokenLifetime;
        var token = _auth.Tokens.Issue(state.Caller.User ?? string.Empty, granted, lifetime);
        await WriteJsonAsync(context.Response, w =>
        {
            w.WriteString("token", token);
            w.WriteString("access_token", token);
            w.WriteNumber("expires_in", (long)lifetime.TotalSeconds);
            w.WriteString("issued_at", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        }, ct).ConfigureAwait(false);
    }

    private Task MetricsAsync(HttpContext context, CancellationToken ct)
    {
        var text = _metrics.Render(_storage.ActiveUploads);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        return WriteBytesAsync(context.Response, Encoding.UTF8.GetBytes(text), head: false, ct);
    }

    private Task HealthAsync(HttpContext context, CancellationToken ct)
    {
        var ok = Directory.Exists(_storage.Root);
        context.Response.StatusCode = ok ? 200 : 503;
        context.Response.ContentType = "application/json";
        var body = ok ? "{\"status\":\"ok\"}"u8.ToArray() : "{\"status\":\"storage unavailable\"}"u8.ToArray();
        return WriteBytesAsync(context.Response, body, HttpMethods.IsHead(context.Request.Method), ct);
    }

    private static async Task WriteJsonAsync(HttpResponse response, Action<Utf8JsonWriter> body, CancellationToken ct, string contentType = "application/json")
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        if (response.StatusCode == 0)
        {
            response.StatusCode = 200;
        }

        response.ContentType = contentType;
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
    }
}
