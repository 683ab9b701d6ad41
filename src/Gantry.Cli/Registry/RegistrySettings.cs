// Owns: turning the gantry config, flags and the store root into registry clients (mirrors first for docker.io) and credentials.
using Gantry.Reference;
using Gantry.Registry.Client;
using Gantry.Registry.Client.Credentials;
using Gantry.Registry.Client.Transfer;

namespace Gantry.Cli.Registry;

/// <summary>Everything a pull, push or login needs to reach registries, built once per command.</summary>
public sealed class RegistrySettings
{
    public RegistrySettings(GantryConfig? config = null, IEnumerable<string>? extraInsecure = null, string? storeRoot = null, ICredentialProvider? credentials = null)
    {
        Config = config ?? GantryConfig.Load();
        Options = new RegistryOptions
        {
            InsecureRegistries = [.. Config.Insecure, .. extraInsecure ?? []],
            Mirrors = Config.Mirrors,
        };
        Credentials = credentials ?? new DockerConfigStore();
        Sources = new BlobSourceIndex(storeRoot is null ? null : Path.Combine(storeRoot, "registry-client", "blob-sources"));
    }

    public GantryConfig Config { get; }

    public RegistryOptions Options { get; }

    public ICredentialProvider Credentials { get; }

    public BlobSourceIndex Sources { get; }

    /// <summary>The client for the reference's own registry.</summary>
    public RegistryClient ClientFor(ImageReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return new RegistryClient(reference.Domain, Credentials, Options);
    }

    /// <summary>Mirrors (only for docker.io names) then the registry itself; dispose every client.</summary>
    public IReadOnlyList<RegistryClient> PullSourcesFor(ImageReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var list = new List<RegistryClient>();
        if (RegistryHosts.IsDockerHub(reference.Domain))
        {
            foreach (var mirror in Options.Mirrors)
            {
                list.Add(new RegistryClient(reference.Domain, Credentials, Options, mirror));
            }
        }

        list.Add(ClientFor(reference));
        return list;
    }
}
