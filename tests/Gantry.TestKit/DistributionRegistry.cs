// Owns: running Debian's docker-registry (distribution 2.8) on 127.0.0.1 for tests: plain HTTP, TLS (certs.d CA), htpasswd, token auth.
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gantry.TestKit;

/// <summary>
/// A real distribution registry on a free 127.0.0.1 port with its own temp storage; stopped and deleted on Dispose.
/// <code>
/// using var reg = DistributionRegistry.StartPlain();            // http://127.0.0.1:PORT
/// using var reg = DistributionRegistry.StartTls();              // https; CA in reg.CertsDirectory/127.0.0.1:PORT/ca.crt
/// using var reg = DistributionRegistry.StartHtpasswd("u", "p"); // Basic auth (bcrypt htpasswd)
/// using var reg = DistributionRegistry.StartToken(tokenServer); // Bearer tokens from a TokenServer
/// reg.Host == "127.0.0.1:PORT"; reg.BaseUri; reg.StorageDirectory
/// </code>
/// Skips the test when /usr/bin/docker-registry is missing.
/// </summary>
public sealed class DistributionRegistry : IDisposable
{
    private readonly Process _process;
    private readonly TempDirectory _dir;

    private DistributionRegistry(TempDirectory dir, int port, bool tls, string extraConfig)
    {
        _dir = dir;
        Port = port;
        IsTls = tls;
        StorageDirectory = dir.Combine("storage");
        Directory.CreateDirectory(StorageDirectory);
        var tlsConfig = string.Empty;
        if (tls)
        {
            CertsDirectory = dir.Combine("certs.d");
            var (caPem, certPem, keyPem) = MakeCertificates();
            CaCertificatePath = dir.WriteFile(Path.Combine("certs.d", Host, "ca.crt"), caPem);
            var cert = dir.WriteFile("server.crt", certPem + caPem);
            var key = dir.WriteFile("server.key", keyPem);
            tlsConfig = $"  tls:\n    certificate: {cert}\n    key: {key}\n";
        }

        ConfigPath = dir.WriteFile("config.yml", $"""
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {StorageDirectory}
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: 127.0.0.1:{port}
              secret: gantry-test-secret
            {tlsConfig}{extraConfig}
            """);
        LogPath = dir.Combine("registry.log");
        var psi = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec /usr/bin/docker-registry serve '{ConfigPath}' >'{LogPath}' 2>&1");
        psi.Environment["OTEL_TRACES_EXPORTER"] = "none";
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start docker-registry");
        WaitUntilListening();
    }

    public int Port { get; }

    /// <summary>"127.0.0.1:PORT": the registry part of image names.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public bool IsTls { get; }

    public Uri BaseUri => new($"{(IsTls ? "https" : "http")}://{Host}/");

    public string StorageDirectory { get; }

    public string ConfigPath { get; }

    public string LogPath { get; }

    /// <summary>For TLS: a certs.d-style directory holding HOST:PORT/ca.crt (point GANTRY_CERTS_D or RegistryOptions.CertsDirectory here).</summary>
    public string? CertsDirectory { get; }

    public string? CaCertificatePath { get; }

    /// <summary>The registry's log so far (for assertion messages).</summary>
    public string Log => File.Exists(LogPath) ? ReadShared(LogPath) : string.Empty;

    public static DistributionRegistry StartPlain() => Start(tls: false, string.Empty);

    public static DistributionRegistry StartTls() => Start(tls: true, string.Empty);

    /// <summary>Basic auth against an htpasswd file made with <c>htpasswd -B</c> (bcrypt), over plain HTTP on loopback.</summary>
    public static DistributionRegistry StartHtpasswd(string user, string password, bool tls = false)
    {
        Requires.Command("htpasswd", "apache2-utils");
        var dir = new TempDirectory("gantry-registry");
        var file = dir.Combine("htpasswd");
        var r = ProcessRunner.Run("htpasswd", ["-Bbc", file, user, password]);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException("htpasswd failed: " + r);
        }

        return Start(tls, $"auth:\n  htpasswd:\n    realm: gantry-test\n    path: {file}\n", dir);
    }

    /// <summary>Bearer token auth: distribution sends clients to <paramref name="tokens"/> and verifies its JWTs.</summary>
    public static DistributionRegistry StartToken(TokenServer tokens, bool tls = false)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return Start(tls, $"auth:\n  token:\n    realm: {tokens.Realm}\n    service: {tokens.Service}\n    issuer: {tokens.Issuer}\n    rootcertbundle: {tokens.CertificateBundlePath}\n");
    }

    private static DistributionRegistry Start(bool tls, string extraConfig, TempDirectory? dir = null)
    {
        Assert.SkipUnless(File.Exists("/usr/bin/docker-registry"), "needs /usr/bin/docker-registry (apt-get install docker-registry; scripts/install-deps.sh does this)");
        dir ??= new TempDirectory("gantry-registry");
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                return new DistributionRegistry(dir, TokenServer.FreePort(), tls, extraConfig);
            }
            catch (InvalidOperationException ex)
            {
                last = ex;
            }
        }

        dir.Dispose();
        throw new InvalidOperationException("docker-registry did not start", last);
    }

    private void WaitUntilListening()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"docker-registry exited with {_process.ExitCode}: {Log}");
            }

            try
            {
                using var c = new TcpClient();
                c.Connect("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        Stop();
        throw new InvalidOperationException("docker-registry did not listen within 20 s: " + Log);
    }

    private (string Ca, string Cert, string Key) MakeCertificates()
    {
        using var caKey = RSA.Create(2048);
        var caReq = new CertificateRequest("CN=Gantry Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        using var cert = req.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(16));
        return (ca.ExportCertificatePem() + "\n", cert.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    private static string ReadShared(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(fs);
        return reader.ReadToEnd();
    }

    private void Stop()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        _dir.Dispose();
    }
}
