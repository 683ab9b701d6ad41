// Owns: parsing a WWW-Authenticate header (Basic / Bearer realm, service, scope) as registries send it.
using System.Text;

namespace Gantry.Registry.Client.Transport;

public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    public string? Realm => Parameters.GetValueOrDefault("realm");

    public string? Service => Parameters.GetValueOrDefault("service");

    public string? Scope => Parameters.GetValueOrDefault("scope");

    /// <summary>Parses the first challenge of a header value such as <c>Bearer realm="https://auth",service="reg",scope="repository:x:pull"</c>.</summary>
    public static AuthChallenge? Parse(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        var s = header.Trim();
        var space = s.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? s : s[..space];
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = space < 0 ? s.Length : space + 1;
        while (i < s.Length)
        {
            while (i < s.Length && (s[i] == ' ' || s[i] == ','))
            {
                i++;
            }

            var eq = s.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }

            var key = s[i..eq].Trim();
            i = eq + 1;
            var value = new StringBuilder();
            if (i < s.Length && s[i] == '"')
            {
                i++;
                while (i < s.Length && s[i] != '"')
                {
                    if (s[i] == '\\' && i + 1 < s.Length)
                    {
                        i++;
                    }

                    value.Append(s[i]);
                    i++;
                }

                i++;
            }
            else
            {
                while (i < s.Length && s[i] != ',')
                {
                    value.Append(s[i]);
                    i++;
                }
            }

            parameters[key] = value.ToString().Trim();
        }

        return new AuthChallenge(scheme, parameters);
    }
}
