// Owns: talking to a docker credential helper (docker-credential-NAME get/store/erase/list over stdin/stdout).
using System.Diagnostics;
using System.Text.Json;
using Gantry.Oci;

namespace Gantry.Registry.Client.Credentials;

public sealed class CredentialHelper
{
    public CredentialHelper(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    public string Name { get; }

    public string Program => "docker-credential-" + Name;

    /// <summary>Gets the credential for a server URL, or null when the helper has none.</summary>
    public async Task<Credential?> GetAsync(string serverUrl, CancellationToken cancellationToken)
    {
        var (code, stdout, stderr) = await RunAsync("get", serverUrl, cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            var text = (stdout + stderr).Trim();
            if (text.Contains("credentials not found", StringComparison.OrdinalIgnoreCase) || text.Length == 0)
            {
                return null;
            }

            throw new GantryException($"credential helper '{Program}' failed to get credentials for {serverUrl}: {text}");
        }

        CredentialHelperPayload payload;
        try
        {
            payload = JsonSerializer.Deserialize(stdout, RegistryJsonContext.Default.CredentialHelperPayload) ?? new CredentialHelperPayload();
        }
        catch (JsonException ex)
        {
            throw new GantryException($"credential helper '{Program}' printed something that is not JSON for {serverUrl}: {ex.Message}", ex);
        }

        if (string.IsNullOrEmpty(payload.Secret))
        {
            return null;
        }

        return payload.Username == "<token>"
            ? Credential.FromIdentityToken(payload.Secret)
            : new Credential(payload.Username ?? string.Empty, payload.Secret);
    }

    public async Task StoreAsync(string serverUrl, Credential credential, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var payload = new CredentialHelperPayload
        {
            ServerUrl = serverUrl,
            Username = credential.IdentityToken is not null ? "<token>" : credential.Username,
            Secret = credential.IdentityToken ?? credential.Password,
        };
        var json = JsonSerializer.Serialize(payload, RegistryJsonContext.Default.CredentialHelperPayload);
        var (code, stdout, stderr) = await RunAsync("store", json, cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            throw new GantryException($"credential helper '{Program}' failed to store credentials for {serverUrl}: {(stdout + stderr).Trim()}");
        }
    }

    public async Task EraseAsync(string serverUrl, CancellationToken cancellationToken)
    {
        var (code, stdout, stderr) = await RunAsync("erase", serverUrl, cancellationToken).ConfigureAwait(false);
        var text = (stdout + stderr).Trim();
        if (code != 0 && !text.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            throw new GantryException($"credential helper '{Program}' failed to erase credentials for {serverUrl}: {text}");
        }
    }

    /// <summary>Server URL → user name of everything the helper holds.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ListAsync(CancellationToken cancellationToken)
    {
        var (code, stdout, stderr) = await RunAsync("list", string.Empty, cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            throw new GantryException($"credential helper '{Program}' failed to list credentials: {(stdout + stderr).Trim()}");
        }

        try
        {
            return JsonSerializer.Deserialize(stdout, RegistryJsonContext.Default.DictionaryStringString) ?? [];
        }
        catch (JsonException ex)
        {
            throw new GantryException($"credential helper '{Program}' printed something that is not JSON for 'list': {ex.Message}", ex);
        }
    }

    private async Task<(int Code, string StdOut, string StdErr)> RunAsync(string verb, string input, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(Program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(verb);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new GantryException($"could not start credential helper '{Program}'");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new GantryException($"credential helper '{Program}' is not on PATH: install it or remove \"credsStore\"/\"credHelpers\" from the docker config.json", ex);
        }

        using (process)
        {
            var stdoutTask = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderrTask = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.StandardInput.WriteAsync(input).ConfigureAwait(false);
            process.StandardInput.Close();
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return (process.ExitCode, await stdoutTask.ConfigureAwait(false), await stderrTask.ConfigureAwait(false));
        }
    }
}
