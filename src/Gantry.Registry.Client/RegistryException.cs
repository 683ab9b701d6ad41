// Owns: the errors a registry conversation raises, with docker-like one-sentence messages.
using System.Net;
using Gantry.Oci;

namespace Gantry.Registry.Client;

/// <summary>A registry answered with an error (or could not be reached); the message names the registry, the object and the fix.</summary>
public sealed class RegistryException : GantryException
{
    public RegistryException(string message, HttpStatusCode? status = null, string? code = null, Exception? inner = null)
        : base(message, inner ?? new InvalidOperationException(message))
    {
        Status = status;
        Code = code;
    }

    /// <summary>The HTTP status, when the registry answered.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>The distribution error code (MANIFEST_UNKNOWN, DENIED, UNAUTHORIZED, …) when given.</summary>
    public string? Code { get; }

    public bool IsNotFound => Status == HttpStatusCode.NotFound || Code is "MANIFEST_UNKNOWN" or "BLOB_UNKNOWN" or "NAME_UNKNOWN";

    public bool IsUnauthorized => Status is HttpStatusCode.Unauthorized || Code is "UNAUTHORIZED";
}
