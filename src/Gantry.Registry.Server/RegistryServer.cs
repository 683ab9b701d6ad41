// Owns: hosting the registry on Kestrel (slim builder, no MVC): start, actual address, periodic GC, stop.
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gantry.Oci;
using Gantry.Registry.Server.Auth;
using Gantry.Registry.Server.Configuration;
using Gantry.Registry.Server.Hosting;
using Gantry.Registry.Server.Http;
using Gantry.Registry.Server.Observability;
using Gantry.Registry.Server.Proxy;
using Gantry.Registry.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gantry.Registry.Server;

/// <summary>
/// A running registry. <c>await using var server = await RegistryServer.StartAsync(new RegistryOptions { Root = dir, Address = "127.0.0.1:0" });</c>
/// then talk to <see cref="BaseAddress"/>.
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping;
    private readonly AccessLog? _log;
    private readonly TokenService _tokens;
    private readonly UpstreamRegistry? _upstream;
    private readonly RegistryMetrics _metrics;
    private readonly Task _gcLoop;
    private readonly Lock _stopLock = new();
    private Task? _stopped;
    private int _disposed;

    private RegistryServer(WebApplication app, CancellationTokenSource stopping, RegistryOptions options, RegistryStorage storage, AccessLog? log,
        TokenService tokens, UpstreamRegistry? upstream, RegistryMetrics metrics, Uri baseAddress)
    {
        _app = app;
        _stopping = stopping;
        Options = options;
        Storage = storage;
        _log = log;
        _tokens = tokens;
        _upstream = upstream;
        _metrics = metrics;
        BaseAddress = baseAddress;
        _gcLoop = options.GcInterval > TimeSpan.Zero ? Task.Run(() => GcLoopAsync(stopping.Token)) : Task.CompletedTask;
    }

    public RegistryOptions Options { get; }

    public RegistryStorage Storage { get; }

    /// <summary>The address clients use, e.g. <c>http://127.0.0.1:41234/</c> (the real port when 0 was asked for).</summary>
    public Uri BaseAddress { get; }

    public int Port => BaseAddress.Port;

    /// <summary>host:port, as docker/skopeo image references want it.</summary>
    public string HostPort => $"{BaseAddress.Host}:{BaseAddress.Port}";

    /// <summary>Starts listening; returns once the socket is bound.</summary>
    public static async Task<RegistryServer> StartAsync(RegistryOptions options, TextWriter? accessLog = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = ParseAddress(options.Address);
        if ((options.TlsCertificate is null) != (options.TlsKey is null))
        {
            throw new GantryException("TLS needs both --tls-cert and --tls-key (PEM files)");
        }

        X509Certificate2? certificate = null;
        if (options.TlsCertificate is not null)
        {
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(options.TlsCertificate, options.TlsKey);
            }
            catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw new GantryException($"cannot load TLS certificate '{options.TlsCertificate}' with key '{options.TlsKey}': {ex.Message}", ex);
            }
        }

        var storage = new RegistryStorage(options.Root, options.Fsync);
        var htpasswd = options.Htpasswd is null ? null : Htpasswd.Load(options.Htpasswd);
        var tokens = new TokenService(options.TokenIssuer, options.TokenService,
            options.TokenSigningKey is null ? null : await File.ReadAllTextAsync(options.TokenSigningKey, cancellationToken).ConfigureAwait(false),
            options.TokenCertificate is null ? null : await File.ReadAllTextAsync(options.TokenCertificate, cancellationToken).ConfigureAwait(false));
        var upstream = options.ProxyRemote is null ? null : new UpstreamRegistry(options.ProxyRemote, options.ProxyUsername, options.ProxyPassword);
        var log = options.AccessLog ? new AccessLog(accessLog ?? Console.Error) : null;
        var metrics = new RegistryMetrics();
        var stopping = new CancellationTokenSource();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, ExternalLifetime>();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null;
            k.Limits.MinRequestBodyDataRate = null;
            k.Limits.MaxRequestLineSize = 16 * 1024;
            k.Limits.MaxResponseBufferSize = 256 * 1024; // two blob chunks in flight per connection before backpressure
            k.Listen(endpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
                else
                {
                    listen.Protocols = HttpProtocols.Http1;
                }
            });
        });
        var app = builder.Build();
        var handler = new RegistryHandler(options, storage, new Authorizer(options, htpasswd, tokens), metrics, log, upstream, stopping.Token);
        app.Run(handler.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new GantryException($"cannot listen on {options.Address}: {ex.Message} (is another registry running there? pick another --addr)", ex);
        }

        var address = app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            : null;
        var port = address is not null && Uri.TryCreate(address, UriKind.Absolute, out var bound) ? bound.Port : endpoint.Port;
        var host = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any) ? "127.0.0.1"
            : endpoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]" : endpoint.Address.ToString();
        var baseAddress = new Uri($"{(certificate is null ? "http" : "https")}://{host}:{port}/");
        log?.Info($"registry listening on {baseAddress} root={storage.Root}");
        return new RegistryServer(app, stopping, options, storage, log, tokens, upstream, metrics, baseAddress);
    }

    /// <summary>Parses host:port, :port, [v6]:port or a bare port; "localhost" binds loopback.</summary>
    public static IPEndPoint ParseAddress(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var a = address.Trim();
        if (a.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || a.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            a = a[(a.IndexOf("//", StringComparison.Ordinal) + 2)..].TrimEnd('/');
        }

        string hostPart;
        string portPart;
        if (a.StartsWith('['))
        {
            var close = a.IndexOf(']', StringComparison.Ordinal);
            hostPart = close > 0 ? a[1..close] : string.Empty;
            portPart = close > 0 && close + 1 < a.Length && a[close + 1] == ':' ? a[(close + 2)..] : string.Empty;
        }
        else
        {
            var colon = a.LastIndexOf(':');
            hostPart = colon < 0 ? string.Empty : a[..colon];
            portPart = colon < 0 ? a : a[(colon + 1)..];
        }

        if (!int.TryParse(portPart, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new GantryException($"invalid listen address '{address}': use HOST:PORT, e.g. 127.0.0.1:5000 (port 0 picks a free one)");
        }

        IPAddress ip;
        if (hostPart.Length == 0 || hostPart == "0.0.0.0")
        {
            ip = IPAddress.Any;
        }
        else if (hostPart.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            ip = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(hostPart, out ip!))
        {
            throw new GantryException($"invalid listen address '{address}': the host must be an IP address or localhost");
        }

        return new IPEndPoint(ip, port);
    }

    /// <summary>Runs garbage collection now with the configured grace period and upload expiry.</summary>
    public async Task<GcResult> CollectGarbageAsync(CancellationToken cancellationToken = default)
    {
        var result = await Storage.CollectGarbageAsync(Options.GcGrace, Options.UploadExpiry, cancellationToken).ConfigureAwait(false);
        _metrics.RecordGc(result.BlobsDeleted, result.BytesFreed);
        _log?.Info($"garbage collection: {result.BlobsDeleted} blobs ({result.BytesFreed} bytes), {result.LinksDeleted} links, {result.UploadsDeleted} uploads removed");
        return result;
    }

    private async Task GcLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Options.GcInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await CollectGarbageAsync(ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    _log?.Info($"garbage collection failed: {ex.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Completes when <see cref="StopAsync"/> or <see cref="DisposeAsync"/> begins, or when <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <remarks>Never throws for cancellation: the caller decides what a stop request means.</remarks>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Graceful stop: closes the listening socket at once (new connections are refused), lets in-flight requests finish for
    /// up to <paramref name="drain"/>, then aborts what is left, stops GC and flushes the access log. Idempotent.
    /// </summary>
    public Task StopAsync(TimeSpan drain)
    {
        lock (_stopLock)
        {
            return _stopped ??= StopCoreAsync(drain);
        }
    }

    private async Task StopCoreAsync(TimeSpan drain)
    {
        await Task.Yield();
        _log?.Info($"shutting down: refusing new connections, draining in-flight requests for up to {drain.TotalSeconds:0.#}s");
        try
        {
            using var timeout = new CancellationTokenSource(drain);
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _gcLoop.ConfigureAwait(false);
        _log?.Info("stopped");
        if (_log is not null)
        {
            await _log.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _tokens.Dispose();
        _upstream?.Dispose();
        _stopping.Dispose();
    }
}
