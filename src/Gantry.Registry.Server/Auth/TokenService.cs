// Owns: issuing and verifying the registry's Bearer tokens (JWS-signed JWTs with docker "access" claims, ES256/RS256).
using System.Buffers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Gantry.Oci;

namespace Gantry.Registry.Server.Auth;

/// <summary>A verified token: who it was issued to and what it grants.</summary>
public sealed record TokenGrant(string Subject, IReadOnlyList<AccessScope> Access);

/// <summary>Signs this registry's tokens and verifies tokens from it or from an external realm's public key.</summary>
public sealed class TokenService : IDisposable
{
    private readonly AsymmetricAlgorithm _signingKey;
    private readonly AsymmetricAlgorithm? _externalKey;
    private readonly string _issuer;
    private readonly string _service;

    public TokenService(string issuer, string service, string? signingKeyPem = null, string? externalPublicPem = null)
    {
        _issuer = issuer;
        _service = service;
        _signingKey = signingKeyPem is null ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : LoadPrivate(signingKeyPem);
        _externalKey = externalPublicPem is null ? null : LoadPublic(externalPublicPem);
    }

    public string Issuer => _issuer;

    public string Service => _service;

    private static AsymmetricAlgorithm LoadPrivate(string pem)
    {
        if (TryImport(ECDsa.Create(), pem) is { } ec)
        {
            return ec;
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (ArgumentException ex)
        {
            rsa.Dispose();
            throw new GantryException($"token signing key is not a PEM RSA or EC private key: {ex.Message}", ex);
        }

        return rsa;
    }

    private static ECDsa? TryImport(ECDsa key, string pem)
    {
        try
        {
            key.ImportFromPem(pem);
            return key;
        }
        catch (ArgumentException)
        {
            key.Dispose();
            return null;
        }
        catch (CryptographicException)
        {
            key.Dispose();
            return null;
        }
    }

    /// <summary>Loads a PEM public key or certificate (RSA or EC).</summary>
    public static AsymmetricAlgorithm LoadPublic(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        try
        {
            if (pem.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal))
            {
                using var cert = X509Certificate2.CreateFromPem(pem);
                return (AsymmetricAlgorithm?)cert.GetECDsaPublicKey() ?? cert.GetRSAPublicKey()
                    ?? throw new GantryException("token certificate holds neither an RSA nor an EC public key");
            }

            if (TryImport(ECDsa.Create(), pem) is { } ec)
            {
                return ec;
            }

            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return rsa;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            throw new GantryException($"token certificate is not a PEM certificate or public key: {ex.Message}", ex);
        }
    }

    /// <summary>Issues a token for <paramref name="subject"/> granting <paramref name="access"/>.</summary>
    public string Issue(string subject, IReadOnlyList<AccessScope> access, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(access);
        var alg = _signingKey is ECDsa ? "ES256" : "RS256";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Json(w =>
        {
            w.WriteString("alg", alg);
            w.WriteString("typ", "JWT");
        });
        var payload = Json(w =>
        {
            w.WriteString("iss", _issuer);
            w.WriteString("sub", subject);
            w.WriteString("aud", _service);
            w.WriteNumber("exp", now + (long)lifetime.TotalSeconds);
            w.WriteNumber("nbf", now - 5);
            w.WriteNumber("iat", now);
            w.WriteString("jti", Guid.NewGuid().ToString("N"));
            w.WriteStartArray("access");
            foreach (var a in access)
            {
                w.WriteStartObject();
                w.WriteString("type", a.Type);
                w.WriteString("name", a.Name);
                w.WriteStartArray("actions");
                foreach (var action in a.Actions)
                {
                    w.WriteStringValue(action);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        var signingInput = Base64Url(header) + "." + Base64Url(payload);
        var data = Encoding.ASCII.GetBytes(signingInput);
        var signature = _signingKey switch
        {
            ECDsa ec => ec.SignData(data, HashAlgorithmName.SHA256),
            RSA rsa => rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new InvalidOperationException("unsupported signing key"),
        };
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>Verifies signature, issuer, audience and lifetime; null when the token is not acceptable.</summary>
    public TokenGrant? Verify(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var header = Base64UrlDecode(parts[0]);
            var payload = Base64UrlDecode(parts[1]);
            var signature = Base64UrlDecode(parts[2]);
            var data = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
            string? alg;
            using (var h = JsonDocument.Parse(header))
            {
                alg = h.RootElement.TryGetProperty("alg", out var a) ? a.GetString() : null;
            }

            if (!VerifyWith(_signingKey, alg, data, signature) && (_externalKey is null || !VerifyWith(_externalKey, alg, data, signature)))
            {
                return null;
            }

            using var p = JsonDocument.Parse(payload);
            var root = p.RootElement;
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (!root.TryGetProperty("exp", out var exp) || exp.GetInt64() < now - 30)
            {
                return null;
            }

            if (root.TryGetProperty("nbf", out var nbf) && nbf.GetInt64() > now + 30)
            {
                return null;
            }

            if (!root.TryGetProperty("iss", out var iss) || !string.Equals(iss.GetString(), _issuer, StringComparison.Ordinal))
            {
                return null;
            }

            if (!AudienceMatches(root))
            {
                return null;
            }

            var access = new List<AccessScope>();
            if (root.TryGetProperty("access", out var acc) && acc.ValueKind == JsonValueKind.Array)
            {
                foreach (var e in acc.EnumerateArray())
                {
                    var actions = e.TryGetProperty("actions", out var acts) && acts.ValueKind == JsonValueKind.Array
                        ? acts.EnumerateArray().Select(x => x.GetString() ?? string.Empty).ToList()
                        : [];
                    access.Add(new AccessScope(e.GetProperty("type").GetString() ?? string.Empty, e.GetProperty("name").GetString() ?? string.Empty, actions));
                }
            }

            var sub = root.TryGetProperty("sub", out var s) ? s.GetString() ?? string.Empty : string.Empty;
            return new TokenGrant(sub, access);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException or KeyNotFoundException or CryptographicException)
        {
            return null;
        }
    }

    private bool AudienceMatches(JsonElement root)
    {
        if (!root.TryGetProperty("aud", out var aud))
        {
            return false;
        }

        return aud.ValueKind switch
        {
            JsonValueKind.String => string.Equals(aud.GetString(), _service, StringComparison.Ordinal),
            JsonValueKind.Array => aud.EnumerateArray().Any(a => string.Equals(a.GetString(), _service, StringComparison.Ordinal)),
            _ => false,
        };
    }

    private static bool VerifyWith(AsymmetricAlgorithm key, string? alg, byte[] data, byte[] signature) => (key, alg) switch
    {
        (ECDsa ec, "ES256") => ec.VerifyData(data, signature, HashAlgorithmName.SHA256),
        (ECDsa ec, "ES384") => ec.VerifyData(data, signature, HashAlgorithmName.SHA384),
        (RSA rsa, "RS256") => rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        (RSA rsa, "RS384") => rsa.VerifyData(data, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
        (RSA rsa, "RS512") => rsa.VerifyData(data, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1),
        _ => false,
    };

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static string Base64Url(ReadOnlySpan<byte> data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Base64UrlDecode(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var b = s.Replace('-', '+').Replace('_', '/');
        b += (b.Length % 4) switch { 2 => "==", 3 => "=", _ => string.Empty };
        return Convert.FromBase64String(b);
    }

    public void Dispose()
    {
        _signingKey.Dispose();
        _externalKey?.Dispose();
    }
}
