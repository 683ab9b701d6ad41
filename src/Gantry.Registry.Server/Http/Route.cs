// Owns: the hand-written router: turning a request path into a registry route with its repository name and reference.
namespace Gantry.Registry.Server.Http;

public enum RouteKind
{
    NotFound,
    Base,
    Catalog,
    Manifest,
    Blob,
    UploadStart,
    Upload,
    Tags,
    Referrers,
    Token,
    Metrics,
    Health,
}

/// <summary>A matched route. <see cref="Name"/> is unvalidated here; the handler checks it.</summary>
public readonly record struct Route(RouteKind Kind, string Name, string Reference)
{
    /// <summary>Short label for metrics and logs.</summary>
    public string Label => Kind switch
    {
        RouteKind.Base => "base",
        RouteKind.Catalog => "catalog",
        RouteKind.Manifest => "manifests",
        RouteKind.Blob => "blobs",
        RouteKind.UploadStart or RouteKind.Upload => "uploads",
        RouteKind.Tags => "tags",
        RouteKind.Referrers => "referrers",
        RouteKind.Token => "token",
        RouteKind.Metrics => "metrics",
        RouteKind.Health => "health",
        _ => "other",
    };

    /// <summary>Matches <c>/v2/</c>, <c>/v2/_catalog</c>, <c>/v2/NAME/{manifests,blobs,referrers}/REF</c>, uploads, tags, and the service routes.</summary>
    public static Route Match(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        switch (path)
        {
            case "/v2" or "/v2/":
                return new(RouteKind.Base, string.Empty, string.Empty);
            case "/v2/_catalog":
                return new(RouteKind.Catalog, string.Empty, string.Empty);
            case "/token" or "/v2/token" or "/auth/token":
                return new(RouteKind.Token, string.Empty, string.Empty);
            case "/metrics":
                return new(RouteKind.Metrics, string.Empty, string.Empty);
            case "/health" or "/healthz" or "/debug/health":
                return new(RouteKind.Health, string.Empty, string.Empty);
        }

        if (!path.StartsWith("/v2/", StringComparison.Ordinal))
        {
            return default;
        }

        var rest = path.AsSpan(4);

        // NAME/tags/list
        if (rest.EndsWith("/tags/list", StringComparison.Ordinal))
        {
            return new(RouteKind.Tags, rest[..^"/tags/list".Length].ToString(), string.Empty);
        }

        // NAME/blobs/uploads/ and NAME/blobs/uploads/ID
        var uploads = rest.LastIndexOf("/blobs/uploads", StringComparison.Ordinal);
        if (uploads > 0)
        {
            var tail = rest[(uploads + "/blobs/uploads".Length)..];
            if (tail.IsEmpty || tail is "/")
            {
                return new(RouteKind.UploadStart, rest[..uploads].ToString(), string.Empty);
            }

            if (tail[0] == '/' && tail[1..].IndexOf('/') < 0)
            {
                return new(RouteKind.Upload, rest[..uploads].ToString(), tail[1..].ToString());
            }
        }

        var slash = rest.LastIndexOf('/');
        if (slash <= 0)
        {
            return default;
        }

        var reference = rest[(slash + 1)..];
        var head = rest[..slash];
        var kindSlash = head.LastIndexOf('/');
        if (kindSlash <= 0 || reference.IsEmpty)
        {
            return default;
        }

        var kind = head[(kindSlash + 1)..];
        var name = head[..kindSlash].ToString();
        return kind switch
        {
            "manifests" => new(RouteKind.Manifest, name, reference.ToString()),
            "blobs" => new(RouteKind.Blob, name, reference.ToString()),
            "referrers" => new(RouteKind.Referrers, name, reference.ToString()),
            _ => default,
        };
    }
}
