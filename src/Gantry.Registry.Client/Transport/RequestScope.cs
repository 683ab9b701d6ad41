// Owns: the auth scopes a request needs, carried on HttpRequestMessage.Options for the auth handler.
namespace Gantry.Registry.Client.Transport;

public static class RequestScope
{
    public static readonly HttpRequestOptionsKey<string> Key = new("gantry.scopes");

    public static string Pull(string repository) => $"repository:{repository}:pull";

    public static string PushPull(string repository) => $"repository:{repository}:pull,push";

    /// <summary>Attaches space-separated scopes to a request.</summary>
    public static HttpRequestMessage WithScopes(this HttpRequestMessage request, params string[] scopes)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Options.Set(Key, string.Join(' ', scopes.Where(s => s.Length > 0)));
        return request;
    }

    public static string GetScopes(this HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Options.TryGetValue(Key, out var s) ? s : string.Empty;
    }
}
