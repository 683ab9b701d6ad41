// Owns: registry authentication: Basic and Bearer challenges, token GET / OAuth2 POST, tokens cached per scope, realm checks.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gantry.Registry.Client.Credentials;

namespace Gantry.Registry.Client.Transport;

/// <summary>
/// Adds credentials to requests for one registry. Learns the scheme from the first 401 (or the <c>/v2/</c> ping of a login), then
/// sends Basic credentials or a Bearer token for the request's scopes up front; a 401 naming a new scope fetches a new
/// token and re-sends once. Before any credential leaves, the token realm must be https — or, for an insecure registry,
/// on the registry's own host.
/// </summary>
public sealed class AuthHandler : DelegatingHandler
{
    /// <summary>The OAuth2 client_id sent to token services (docker sends "docker").</summary>
    public const string ClientId = "gantry";

    private readonly string _registry;
    private readonly ICredentialProvider _credentials;
    private readonly RegistryOptions _options;
    private readonly Dictionary<string, (string Token, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private AuthChallenge? _challenge;
    private string? _refreshToken;
    private Credential? _credential;
    private bool _credentialLoaded;

    public AuthHandler(string registry, ICredentialProvider credentials, RegistryOptions options)
    {
        _registry = registry;
        _credentials = credentials;
        _options = options;
    }

    /// <summary>The challenge learned from the registry, if any (null: the registry needs no auth or has not been asked yet).</summary>
    public AuthChallenge? Challenge => _challenge;

    /// <summary>The refresh token the token service handed out on the last password login, if any (stored by login as identity token).</summary>
    public string? RefreshToken => _refreshToken;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scopes = request.GetScopes();
        await AuthorizeAsync(request, scopes, forceNew: false, cancellationToken).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        var challenge = AuthChallenge.Parse(response.Headers.WwwAuthenticate.ToString());
        if (challenge is null || !(challenge.IsBasic || challenge.IsBearer))
        {
            return response;
        }

        var hadAuth = request.Headers.Authorization is not null;
        var sameScheme = _challenge?.Scheme == challenge.Scheme;
        _challenge = challenge;
        if (challenge.IsBearer && challenge.Scope is { Length: > 0 } extra)
        {
            scopes = string.Join(' ', scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Union(extra.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Order(StringComparer.Ordinal));
        }

        if (challenge.IsBasic && (hadAuth && sameScheme || await GetCredentialAsync(cancellationToken).ConfigureAwait(false) is null))
        {
            return response;
        }

        if (request.Content is not (null or ByteArrayContent) && request.Content.Headers.ContentLength is > 0)
        {
            // A streamed body cannot be sent twice; the caller prepares auth before streaming, so this is a real refusal.
            return response;
        }

        response.Dispose();
        await AuthorizeAsync(request, scopes, forceNew: true, cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks the credential against the registry (docker login): a Basic /v2/ request or a token request without scope.</summary>
    public async Task VerifyLoginAsync(Uri baseUri, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        using (var ping = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "/v2/")))
        {
            using var response = await base.SendAsync(ping, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                return;
            }

            _challenge = AuthChallenge.Parse(response.Headers.WwwAuthenticate.ToString());
        }

        if (_challenge is { IsBearer: true })
        {
            // docker's login asks for an offline token (offline_token=true): a token service may answer with a refresh token,
            // which login then stores as the identity token instead of the password.
            await GetTokenAsync(string.Empty, forceNew: true, cancellationToken, offline: true).ConfigureAwait(false);
            return;
        }

        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "/v2/"));
        await AuthorizeAsync(again, string.Empty, forceNew: true, cancellationToken).ConfigureAwait(false);
        using var second = await base.SendAsync(again, cancellationToken).ConfigureAwait(false);
        if (second.StatusCode == HttpStatusCode.Unauthorized)
        {
            throw new RegistryException($"login to {_registry} failed: unauthorized: incorrect username or password", HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        if (!second.IsSuccessStatusCode)
        {
            throw new RegistryException($"login to {_registry} failed: the registry answered {(int)second.StatusCode} {second.ReasonPhrase} on /v2/", second.StatusCode);
        }
    }

    private async Task AuthorizeAsync(HttpRequestMessage request, string scopes, bool forceNew, CancellationToken cancellationToken)
    {
        switch (_challenge)
        {
            case { IsBasic: true }:
                if (await GetCredentialAsync(cancellationToken).ConfigureAwait(false) is { } c)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.Username}:{c.Password}")));
                }

                break;
            case { IsBearer: true }:
                var token = await GetTokenAsync(scopes, forceNew, cancellationToken).ConfigureAwait(false);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                break;
        }
    }

    private async ValueTask<Credential?> GetCredentialAsync(CancellationToken cancellationToken)
    {
        if (!_credentialLoaded)
        {
            _credential = await _credentials.GetAsync(_registry, cancellationToken).ConfigureAwait(false);
            _credentialLoaded = true;
        }

        return _credential;
    }

    private async Task<string> GetTokenAsync(string scopes, bool forceNew, CancellationToken cancellationToken, bool offline = false)
    {
        await _tokenLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!forceNew && _tokens.TryGetValue(scopes, out var cached) && cached.Expires > DateTimeOffset.UtcNow)
            {
                return cached.Token;
            }

            var challenge = _challenge!;
            var credential = await GetCredentialAsync(cancellationToken).ConfigureAwait(false);
            if (!Uri.TryCreate(challenge.Realm, UriKind.Absolute, out var realm) || realm.Scheme is not ("http" or "https"))
            {
                throw new RegistryException($"{_registry} asked for a Bearer token with an invalid realm '{challenge.Realm}'", HttpStatusCode.Unauthorized);
            }

            if (credential is not null)
            {
                CheckRealm(realm);
            }

            var answer = await FetchTokenAsync(realm, challenge.Service, scopes, credential, offline, cancellationToken).ConfigureAwait(false);
            var token = answer.Token ?? answer.AccessToken;
            if (string.IsNullOrEmpty(token))
            {
                throw new RegistryException($"the token service {realm.GetLeftPart(UriPartial.Path)} of {_registry} answered without a token", HttpStatusCode.Unauthorized);
            }

            if (answer.RefreshToken is { Length: > 0 } refresh)
            {
                _refreshToken = refresh;
            }

            var lifetime = TimeSpan.FromSeconds(answer.ExpiresIn is > 0 ? answer.ExpiresIn.Value : 60);
            _tokens[scopes] = (token, DateTimeOffset.UtcNow + lifetime * 0.9);
            return token;
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    private void CheckRealm(Uri realm)
    {
        if (realm.Scheme == Uri.UriSchemeHttps)
        {
            return;
        }

        var registryHost = RegistryHosts.HostOnly(RegistryHosts.ApiHost(_registry));
        if (_options.IsInsecure(_registry) && string.Equals(realm.Host.Trim('[', ']'), registryHost, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        throw new RegistryException(
            $"refusing to send credentials for {_registry} to the token service {realm.GetLeftPart(UriPartial.Path)}: it is not https and not on the registry's own insecure host",
            HttpStatusCode.Unauthorized);
    }

    /// <summary>
    /// distribution's token handler: with an identity (refresh) token, the OAuth2 POST grant_type=refresh_token; otherwise the
    /// GET with Basic credentials (and, for login, offline_token=true + client_id, so the service may hand out a refresh token).
    /// </summary>
    private async Task<TokenResponse> FetchTokenAsync(Uri realm, string? service, string scopes, Credential? credential, bool offline, CancellationToken cancellationToken)
    {
        var scopeList = scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var refresh = credential?.IdentityToken;
        if (refresh is not null)
        {
            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "refresh_token"),
                new("refresh_token", refresh),
                new("client_id", ClientId),
            };
            if (service is not null)
            {
                form.Add(new("service", service));
            }

            if (scopeList.Length > 0)
            {
                form.Add(new("scope", string.Join(' ', scopeList)));
            }

            using var post = new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
            using var postResponse = await base.SendAsync(post, cancellationToken).ConfigureAwait(false);
            if (postResponse.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed))
            {
                return await ReadTokenAsync(postResponse, realm, credential, cancellationToken).ConfigureAwait(false);
            }
        }

        var query = new StringBuilder();
        void Add(string k, string v) => query.Append(query.Length == 0 ? '?' : '&').Append(k).Append('=').Append(Uri.EscapeDataString(v));
        if (service is not null)
        {
            Add("service", service);
        }

        foreach (var s in scopeList)
        {
            Add("scope", s);
        }

        if (credential is { IdentityToken: null })
        {
            Add("account", credential.Username);
        }

        if (offline && credential is not null)
        {
            Add("offline_token", "true");
            Add("client_id", ClientId);
        }

        var existing = realm.Query.TrimStart('?');
        var url = new UriBuilder(realm) { Query = existing.Length == 0 ? query.ToString().TrimStart('?') : existing + "&" + query.ToString().TrimStart('?') }.Uri;
        using var get = new HttpRequestMessage(HttpMethod.Get, url);
        if (credential is { IdentityToken: null })
        {
            get.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));
        }

        using var response = await base.SendAsync(get, cancellationToken).ConfigureAwait(false);
        return await ReadTokenAsync(response, realm, credential, cancellationToken).ConfigureAwait(false);
    }

    private async Task<TokenResponse> ReadTokenAsync(HttpResponseMessage response, Uri realm, Credential? credential, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            var who = credential is null ? "anonymous access was refused: run 'gantry login " + _registry + "'" : "incorrect username or password";
            throw new RegistryException($"unauthorized: {who} (token service {realm.GetLeftPart(UriPartial.Path)} of {_registry} answered {(int)response.StatusCode})", response.StatusCode, "UNAUTHORIZED");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new RegistryException($"the token service {realm.GetLeftPart(UriPartial.Path)} of {_registry} answered {(int)response.StatusCode} {response.ReasonPhrase}", response.StatusCode);
        }

        try
        {
            return JsonSerializer.Deserialize(body, RegistryJsonContext.Default.TokenResponse) ?? new TokenResponse();
        }
        catch (JsonException ex)
        {
            throw new RegistryException($"the token service {realm.GetLeftPart(UriPartial.Path)} of {_registry} answered with something that is not JSON: {ex.Message}", response.StatusCode, inner: ex);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _tokenLock.Dispose();
        }

        base.Dispose(disposing);
    }
}
