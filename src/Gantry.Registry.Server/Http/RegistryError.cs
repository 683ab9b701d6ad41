// Owns: the distribution spec's error codes, their HTTP statuses, and the JSON error body.
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Gantry.Registry.Server.Http;

/// <summary>An error the registry answers with: a spec code, an HTTP status and a message.</summary>
public sealed class RegistryError : Exception
{
    public RegistryError(int status, string code, string message, string? detail = null)
        : base(message)
    {
        Status = status;
        Code = code;
        Detail = detail;
    }

    public RegistryError()
        : this(500, "UNKNOWN", "unknown error")
    {
    }

    public RegistryError(string message)
        : this(500, "UNKNOWN", message)
    {
    }

    public RegistryError(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 500;
        Code = "UNKNOWN";
    }

    public int Status { get; }

    public string Code { get; }

    public string? Detail { get; }

    /// <summary>Extra headers (Range on 416, WWW-Authenticate on 401).</summary>
    public Dictionary<string, string>? Headers { get; init; }

    public static RegistryError BlobUnknown(string digest) => new(404, "BLOB_UNKNOWN", "blob unknown to registry", digest);

    public static RegistryError BlobUploadUnknown() => new(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry");

    public static RegistryError BlobUploadInvalid(string why) => new(400, "BLOB_UPLOAD_INVALID", $"blob upload invalid: {why}");

    public static RegistryError DigestInvalid(string why) => new(400, "DIGEST_INVALID", $"provided digest did not match uploaded content: {why}");

    public static RegistryError ManifestBlobUnknown(string digest) => new(400, "MANIFEST_BLOB_UNKNOWN", $"manifest references a manifest or blob unknown to registry: {digest}", digest);

    public static RegistryError ManifestInvalid(string why) => new(400, "MANIFEST_INVALID", $"manifest invalid: {why}");

    public static RegistryError ManifestUnknown(string reference) => new(404, "MANIFEST_UNKNOWN", "manifest unknown to registry", reference);

    public static RegistryError NameInvalid(string name) => new(400, "NAME_INVALID", "invalid repository name", name);

    public static RegistryError NameUnknown(string name) => new(404, "NAME_UNKNOWN", "repository name not known to registry", name);

    public static RegistryError SizeInvalid(string why) => new(400, "SIZE_INVALID", $"provided length did not match content length: {why}");

    public static RegistryError Unauthorized(string challenge) => new(401, "UNAUTHORIZED", "authentication required") { Headers = new() { ["WWW-Authenticate"] = challenge } };

    public static RegistryError Denied(string why) => new(403, "DENIED", $"requested access to the resource is denied: {why}");

    public static RegistryError Unsupported(string why) => new(405, "UNSUPPORTED", $"the operation is unsupported: {why}");

    public static RegistryError TooLarge(long limit) => new(413, "MANIFEST_INVALID", $"manifest is larger than the {limit} byte limit");

    public static RegistryError RangeInvalid(long offset) => new(416, "BLOB_UPLOAD_INVALID", "chunk out of order: Content-Range must start at the current upload offset")
    {
        Headers = new() { ["Range"] = offset == 0 ? "0-0" : $"0-{offset - 1}" },
    };

    /// <summary>Writes the spec's <c>{"errors":[{code,message,detail}]}</c> body.</summary>
    public async Task WriteAsync(HttpResponse response, bool head, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.StatusCode = Status;
        if (Headers is not null)
        {
            foreach (var (k, v) in Headers)
            {
                response.Headers[k] = v;
            }
        }

        if (head)
        {
            return;
        }

        response.ContentType = "application/json; charset=utf-8";
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("errors");
            w.WriteStartObject();
            w.WriteString("code", Code);
            w.WriteString("message", Message);
            if (Detail is not null)
            {
                w.WriteString("detail", Detail);
            }

            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }
}
