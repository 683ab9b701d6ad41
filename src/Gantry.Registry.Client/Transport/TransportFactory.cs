// Owns: the innermost HTTP handler for one registry host: TLS trust (system store + certs.d CA), client certificates, insecure mode.
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Gantry.Registry.Client.Transport;

public static class TransportFactory
{
    /// <summary>
    /// A SocketsHttpHandler for <paramref name="hostAndPort"/>: the system trust store plus any <c>*.crt</c> under
    /// certs.d/HOST:PORT (or certs.d/HOST), the client pair <c>*.cert</c>/<c>*.key</c> there, and no verification at all for insecure hosts.
    /// </summary>
    public static SocketsHttpHandler Create(string hostAndPort, RegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var insecure = options.IsInsecure(hostAndPort);
        var dir = FindCertsDir(options.CertsDirectory, hostAndPort);
        var extraRoots = new X509Certificate2Collection();
        var clientCerts = new X509CertificateCollection();
        if (dir is not null)
        {
            foreach (var crt in Directory.GetFiles(dir, "*.crt").Order(StringComparer.Ordinal))
            {
                extraRoots.ImportFromPemFile(crt);
            }

            foreach (var cert in Directory.GetFiles(dir, "*.cert").Order(StringComparer.Ordinal))
            {
                var key = Path.ChangeExtension(cert, ".key");
                if (File.Exists(key))
                {
                    clientCerts.Add(X509Certificate2.CreateFromPemFile(cert, key));
                }
            }
        }

        var ssl = new SslClientAuthenticationOptions();
        if (clientCerts.Count > 0)
        {
            ssl.ClientCertificates = clientCerts;
        }

        if (insecure || extraRoots.Count > 0)
        {
            ssl.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                if (insecure || errors == SslPolicyErrors.None)
                {
                    return true;
                }

                if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None || certificate is null)
                {
                    return false;
                }

                using var custom = new X509Chain();
                custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                custom.ChainPolicy.CustomTrustStore.AddRange(extraRoots);
                custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                if (chain is not null)
                {
                    foreach (var element in chain.ChainElements)
                    {
                        custom.ChainPolicy.ExtraStore.Add(element.Certificate);
                    }
                }

                return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
        }

        return new SocketsHttpHandler
        {
            SslOptions = ssl,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = true,
            MaxConnectionsPerServer = 16,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
    }

    private static string? FindCertsDir(string certsRoot, string hostAndPort)
    {
        if (string.IsNullOrEmpty(certsRoot) || !Directory.Exists(certsRoot))
        {
            return null;
        }

        foreach (var name in new[] { hostAndPort, RegistryHosts.HostOnly(hostAndPort) })
        {
            var candidate = Path.Combine(certsRoot, name);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
