// Owns: deciding, for every request, who the caller is (anonymous, htpasswd user, token) and whether it may do the action.
using System.Text;
using Gantry.Registry.Server.Configuration;
using Gantry.Registry.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Gantry.Registry.Server.Auth;

/// <summary>The caller of one request.</summary>
public sealed record Caller(string? User, TokenGrant? Token, bool PresentedCredentials)
{
    public static Caller Anonymous { get; } = new(null, null, false);

    public string Name => User ?? Token?.Subject ?? "-";
}

/// <summary>Checks Basic (htpasswd) and Bearer credentials against the scope each route needs.</summary>
public sealed class Authorizer
{
    private readonly RegistryOptions _options;
    private readonly Htpasswd? _htpasswd;
    private readonly TokenService _tokens;

    public Authorizer(RegistryOptions options, Htpasswd? htpasswd, TokenService tokens)
    {
        _options = options;
        _htpasswd = htpasswd;
        _tokens = tokens;
    }

    public bool Enabled => _options.AuthEnabled;

    public TokenService Tokens => _tokens;

    /// <summary>Identifies the caller; wrong Basic credentials or an invalid token are a 401 right away.</summary>
    public Caller Identify(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Enabled)
        {
            return Caller.Anonymous;
        }

        string header = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Caller.Anonymous;
        }

        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            var (user, password) = DecodeBasic(header[6..].Trim());
            if (user is null || _htpasswd is null || !_htpasswd.Verify(user, password!))
            {
                throw RegistryError.Unauthorized(Challenge(context, null, false));
            }

            return new Caller(user, null, true);
        }

        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var grant = _tokens.Verify(header[7..].Trim());
            if (grant is null)
            {
                throw RegistryError.Unauthorized(Challenge(context, null, false) + (_options.TokenRealm is null ? string.Empty : ",error=\"invalid_token\""));
            }

            return new Caller(null, grant, true);
        }

        throw RegistryError.Unauthorized(Challenge(context, null, false));
    }

    public static (string? User, string? Password) DecodeBasic(string encoded)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? (null, null) : (text[..colon], text[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return (null, null);
        }
    }

    /// <summary>Whether the caller may do <paramref name="action"/> on a resource (no exception).</summary>
    public bool Allows(Caller caller, string type, string name, string action)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!Enabled)
        {
            return true;
        }

        if (caller.User is not null)
        {
            return true;
        }

        if (caller.Token is { } token)
        {
            return token.Access.Any(a => a.Allows(type, name, action));
        }

        return _options.AnonymousPull && (action == AccessScope.Pull || type == "registry");
    }

    /// <summary>Throws 401 (with a challenge naming the scope) or 403 when the caller may not do the action.</summary>
    public void Demand(HttpContext context, Caller caller, string type, string name, string action)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (Allows(caller, type, name, action))
        {
            return;
        }

        if (caller.User is not null)
        {
            throw RegistryError.Denied($"{caller.User} may not {action} {name}");
        }

        var scope = type == "registry" ? $"registry:{name}:*" : $"{type}:{name}:{ScopeActions(action)}";
        throw RegistryError.Unauthorized(Challenge(context, scope, caller.Token is not null));
    }

    private static string ScopeActions(string action) => action switch
    {
        AccessScope.Push => "pull,push",
        _ => action,
    };

    /// <summary>The WWW-Authenticate challenge: Bearer with realm/service/scope in token mode, else Basic.</summary>
    public string Challenge(HttpContext context, string? scope, bool insufficient)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_options.TokenRealm is null)
        {
            return "Basic realm=\"gantry-registry\"";
        }

        var realm = _options.TokenRealm == "auto" ? $"{context.Request.Scheme}://{context.Request.Host}/token" : _options.TokenRealm;
        var sb = new StringBuilder($"Bearer realm=\"{realm}\",service=\"{_options.TokenService}\"");
        if (scope is not null)
        {
            sb.Append($",scope=\"{scope}\"");
        }

        if (insufficient)
        {
            sb.Append(",error=\"insufficient_scope\"");
        }

        return sb.ToString();
    }

    /// <summary>What a token request may be granted: everything asked for a known user, pulls for anonymous callers.</summary>
    public IReadOnlyList<AccessScope> Grant(Caller caller, IEnumerable<AccessScope> requested)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(requested);
        var result = new List<AccessScope>();
        foreach (var scope in requested)
        {
            List<string> allowed = caller.User is not null
                ? [.. scope.Actions]
                : _options.AnonymousPull ? [.. scope.Actions.Where(a => a == AccessScope.Pull)] : [];
            if (allowed.Count > 0)
            {
                result.Add(scope with { Actions = allowed });
            }
        }

        return result;
    }
}
