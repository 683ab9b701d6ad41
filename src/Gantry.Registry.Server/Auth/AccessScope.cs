// Owns: the resource scopes of the docker token protocol ("repository:NAME:pull,push", "registry:catalog:*").
namespace Gantry.Registry.Server.Auth;

/// <summary>One resource and the actions on it, as in a token request's scope or a token's access claim.</summary>
public sealed record AccessScope(string Type, string Name, IReadOnlyList<string> Actions)
{
    public const string Pull = "pull";
    public const string Push = "push";
    public const string Delete = "delete";

    /// <summary>Parses "TYPE:NAME:A,B"; the name may contain ':' only before the last one (registry:catalog:*).</summary>
    public static AccessScope? Parse(string scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var first = scope.IndexOf(':', StringComparison.Ordinal);
        var last = scope.LastIndexOf(':');
        if (first <= 0 || last <= first)
        {
            return null;
        }

        var actions = scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new AccessScope(scope[..first], scope[(first + 1)..last], actions);
    }

    public bool Allows(string type, string name, string action) =>
        string.Equals(Type, type, StringComparison.Ordinal) && string.Equals(Name, name, StringComparison.Ordinal) &&
        Actions.Any(a => a == "*" || string.Equals(a, action, StringComparison.Ordinal));

    public override string ToString() => $"{Type}:{Name}:{string.Join(',', Actions)}";
}
