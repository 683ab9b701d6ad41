// Owns: docker's client config file (~/.docker/config.json, $DOCKER_CONFIG): auths entries, credsStore/credHelpers, atomic 0600 writes.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gantry.Oci;

namespace Gantry.Registry.Client.Credentials;

/// <summary>
/// Reads and writes credentials exactly where docker keeps them. Unknown keys in config.json are preserved. Hub's aliases
/// (docker.io, index.docker.io, https://index.docker.io/v1/) all map to the key docker uses, https://index.docker.io/v1/.
/// </summary>
public sealed class DockerConfigStore : ICredentialProvider
{
    public DockerConfigStore(string? configDirectory = null)
    {
        ConfigDirectory = configDirectory ?? DefaultDirectory;
    }

    /// <summary>$DOCKER_CONFIG, else ~/.docker.</summary>
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } d
            ? d
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");

    public string ConfigDirectory { get; }

    public string ConfigPath => Path.Combine(ConfigDirectory, "config.json");

    public async ValueTask<Credential?> GetAsync(string registry, CancellationToken cancellationToken = default)
    {
        var root = Load();
        var key = RegistryHosts.CredentialKey(registry);
        var helper = HelperFor(root, key);
        if (helper is not null)
        {
            return await helper.GetAsync(key, cancellationToken).ConfigureAwait(false);
        }

        if (root["auths"] is not JsonObject auths)
        {
            return null;
        }

        var entry = FindEntry(auths, key);
        return entry is null ? null : Decode(entry, key);
    }

    /// <summary>Saves a credential (in a helper when config.json names one, else base64 in auths) and returns where it went.</summary>
    public async Task<string> StoreAsync(string registry, Credential credential, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var root = Load();
        var key = RegistryHosts.CredentialKey(registry);
        var auths = root["auths"] as JsonObject ?? new JsonObject();
        root["auths"] = auths;
        RemoveAliases(auths, key);
        var helper = HelperFor(root, key);
        if (helper is not null)
        {
            await helper.StoreAsync(key, credential, cancellationToken).ConfigureAwait(false);
            auths[key] = new JsonObject();
            Save(root);
            return helper.Program;
        }

        // As docker's config file does: "auth" is base64("user:password") — with an identity token the password is blanked,
        // so it holds base64("user:") — and "identitytoken" carries the refresh token.
        var entry = new JsonObject();
        var user = credential.IdentityToken is not null && credential.Username == "<token>" ? string.Empty : credential.Username;
        var password = credential.IdentityToken is not null ? string.Empty : credential.Password;
        if (user.Length > 0 || password.Length > 0)
        {
            entry["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        }

        if (credential.IdentityToken is not null)
        {
            entry["identitytoken"] = credential.IdentityToken;
        }

        auths[key] = entry;
        Save(root);
        return ConfigPath;
    }

    /// <summary>Removes the credential; false when there was none.</summary>
    public async Task<bool> EraseAsync(string registry, CancellationToken cancellationToken = default)
    {
        var root = Load();
        var key = RegistryHosts.CredentialKey(registry);
        var removed = false;
        var helper = HelperFor(root, key);
        if (helper is not null)
        {
            removed = await helper.GetAsync(key, cancellationToken).ConfigureAwait(false) is not null;
            await helper.EraseAsync(key, cancellationToken).ConfigureAwait(false);
        }

        if (root["auths"] is JsonObject auths)
        {
            removed |= RemoveAliases(auths, key);
            if (removed || File.Exists(ConfigPath))
            {
                Save(root);
            }
        }

        return removed;
    }

    private static bool RemoveAliases(JsonObject auths, string key)
    {
        var host = RegistryHosts.ToHostname(key);
        var hub = RegistryHosts.IsDockerHub(key);
        var removed = false;
        foreach (var name in auths.Select(p => p.Key).ToList())
        {
            var other = RegistryHosts.ToHostname(name);
            if (name == key || other == host || (hub && RegistryHosts.IsDockerHub(other)))
            {
                removed |= auths.Remove(name);
            }
        }

        return removed;
    }

    private static JsonObject? FindEntry(JsonObject auths, string key)
    {
        if (auths[key] is JsonObject exact)
        {
            return exact;
        }

        var host = RegistryHosts.ToHostname(key);
        var hub = RegistryHosts.IsDockerHub(key);
        foreach (var (name, value) in auths)
        {
            var other = RegistryHosts.ToHostname(name);
            if (value is JsonObject o && (other == host || (hub && RegistryHosts.IsDockerHub(other))))
            {
                return o;
            }
        }

        return null;
    }

    private Credential? Decode(JsonObject entry, string key)
    {
        var identity = entry["identitytoken"]?.GetValue<string>();
        var auth = entry["auth"]?.GetValue<string>();
        string user = entry["username"]?.GetValue<string>() ?? string.Empty;
        string password = entry["password"]?.GetValue<string>() ?? string.Empty;
        if (!string.IsNullOrEmpty(auth))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
            }
            catch (FormatException ex)
            {
                throw new GantryException($"the \"auth\" entry for {key} in {ConfigPath} is not valid base64: run 'gantry login {key}' again", ex);
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new GantryException($"the \"auth\" entry for {key} in {ConfigPath} is not base64 of 'user:password': run 'gantry login {key}' again");
            }

            user = decoded[..colon];
            password = decoded[(colon + 1)..];
        }

        if (!string.IsNullOrEmpty(identity))
        {
            return new Credential(user.Length > 0 ? user : "<token>", password, identity);
        }

        return user.Length == 0 && password.Length == 0 ? null : new Credential(user, password);
    }

    private static CredentialHelper? HelperFor(JsonObject root, string key)
    {
        if (root["credHelpers"] is JsonObject helpers)
        {
            var host = RegistryHosts.ToHostname(key);
            foreach (var (name, value) in helpers)
            {
                if ((name == key || RegistryHosts.ToHostname(name) == host) && value?.GetValue<string>() is { Length: > 0 } h)
                {
                    return new CredentialHelper(h);
                }
            }
        }

        return root["credsStore"]?.GetValue<string>() is { Length: > 0 } store ? new CredentialHelper(store) : null;
    }

    private JsonObject Load()
    {
        if (!File.Exists(ConfigPath))
        {
            return new JsonObject();
        }

        try
        {
            var text = File.ReadAllText(ConfigPath);
            if (string.IsNullOrWhiteSpace(text))
            {
                return new JsonObject();
            }

            return JsonNode.Parse(text) as JsonObject
                ?? throw new GantryException($"{ConfigPath} is not a JSON object: fix or remove it");
        }
        catch (JsonException ex)
        {
            throw new GantryException($"{ConfigPath} is not valid JSON ({ex.Message}): fix or remove it", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new GantryException($"{ConfigPath} has an unexpected shape ({ex.Message}): fix or remove it", ex);
        }
    }

    private void Save(JsonObject root)
    {
        Directory.CreateDirectory(ConfigDirectory);
        var tmp = Path.Combine(ConfigDirectory, $".config.json.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var bytes = Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        using (var fs = new FileStream(tmp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }

        File.Move(tmp, ConfigPath, overwrite: true);
    }
}
