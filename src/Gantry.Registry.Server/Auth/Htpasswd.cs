// Owns: checking user names and passwords against an htpasswd file of bcrypt entries (with a short verify cache).
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Gantry.Oci;

namespace Gantry.Registry.Server.Auth;

/// <summary>An htpasswd file (<c>user:$2y$…</c> lines, as <c>htpasswd -B</c> writes). Only bcrypt entries are accepted.</summary>
public sealed class Htpasswd
{
    private readonly Dictionary<string, string> _users;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _verified = new(StringComparer.Ordinal);

    private Htpasswd(Dictionary<string, string> users) => _users = users;

    public int Count => _users.Count;

    public static Htpasswd Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new GantryException($"htpasswd file '{path}' does not exist: create it with 'htpasswd -Bc {path} USER'");
        }

        return Parse(File.ReadAllLines(path), path);
    }

    public static Htpasswd Parse(IEnumerable<string> lines, string what)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        var n = 0;
        foreach (var raw in lines)
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new GantryException($"htpasswd file '{what}' line {n}: expected 'user:hash'");
            }

            var hash = line[(colon + 1)..];
            if (!hash.StartsWith("$2", StringComparison.Ordinal))
            {
                throw new GantryException($"htpasswd file '{what}' line {n}: only bcrypt entries are supported; recreate the user with 'htpasswd -B'");
            }

            users[line[..colon]] = hash;
        }

        return new Htpasswd(users);
    }

    /// <summary>True when the password matches the user's bcrypt hash.</summary>
    public bool Verify(string user, string password)
    {
        if (!_users.TryGetValue(user, out var hash))
        {
            return false;
        }

        // bcrypt is deliberately slow; remember good pairs (by a hash of the secret) for a few minutes.
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(user + "\0" + password + "\0" + hash)));
        if (_verified.TryGetValue(key, out var until) && until > DateTimeOffset.UtcNow)
        {
            return true;
        }

        bool ok;
        try
        {
            ok = BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            ok = false;
        }

        if (ok)
        {
            if (_verified.Count > 10_000)
            {
                _verified.Clear();
            }

            _verified[key] = DateTimeOffset.UtcNow.AddMinutes(5);
        }

        return ok;
    }
}
