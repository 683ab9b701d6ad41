// Owns: one registry credential (user + password, or an identity/refresh token) and the provider interface auth asks.
namespace Gantry.Registry.Client.Credentials;

/// <summary>A login for a registry. <see cref="IdentityToken"/>, when set, is an OAuth2 refresh token used instead of the password.</summary>
public sealed record Credential(string Username, string Password, string? IdentityToken = null)
{
    public static Credential FromIdentityToken(string token) => new("<token>", string.Empty, token);

    public override string ToString() => $"Credential({Username})";
}

/// <summary>Finds the credential for a registry (host[:port] or a Hub alias); null when none is stored.</summary>
public interface ICredentialProvider
{
    ValueTask<Credential?> GetAsync(string registry, CancellationToken cancellationToken = default);
}

/// <summary>A provider that always answers with the same credential (login verification, tests) or none.</summary>
public sealed class StaticCredentialProvider(Credential? credential) : ICredentialProvider
{
    public static StaticCredentialProvider Anonymous { get; } = new(null);

    public ValueTask<Credential?> GetAsync(string registry, CancellationToken cancellationToken = default) => ValueTask.FromResult(credential);
}
