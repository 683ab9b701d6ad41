// Owns: the small JSON documents of the distribution API (errors, tag lists, token answers) and their source-generated context.
using System.Text.Json.Serialization;

namespace Gantry.Registry.Client;

/// <summary>The <c>{"errors":[…]}</c> body of a distribution error response.</summary>
public sealed record RegistryErrorList
{
    [JsonPropertyName("errors")]
    public IReadOnlyList<RegistryError>? Errors { get; init; }
}

public sealed record RegistryError
{
    [JsonPropertyName("code")]
    public string? Code { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }
}

/// <summary>The answer of <c>GET /v2/NAME/tags/list</c>.</summary>
public sealed record TagList
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("tags")]
    public IReadOnlyList<string>? Tags { get; init; }
}

/// <summary>The answer of a token service (Docker's <c>token</c> or OAuth2's <c>access_token</c>).</summary>
public sealed record TokenResponse
{
    [JsonPropertyName("token")]
    public string? Token { get; init; }

    [JsonPropertyName("access_token")]
    public string? AccessToken { get; init; }

    [JsonPropertyName("refresh_token")]
    public string? RefreshToken { get; init; }

    [JsonPropertyName("expires_in")]
    public int? ExpiresIn { get; init; }
}

/// <summary>What a docker credential helper reads and writes.</summary>
public sealed record CredentialHelperPayload
{
    [JsonPropertyName("ServerURL")]
    public string? ServerUrl { get; init; }

    [JsonPropertyName("Username")]
    public string? Username { get; init; }

    [JsonPropertyName("Secret")]
    public string? Secret { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RegistryErrorList))]
[JsonSerializable(typeof(TagList))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(CredentialHelperPayload))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public sealed partial class RegistryJsonContext : JsonSerializerContext;
