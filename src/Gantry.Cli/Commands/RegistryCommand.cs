// Owns: `gantry registry serve` and `gantry registry garbage-collect` (the built-in OCI distribution registry).
using System.CommandLine;
using System.Runtime.InteropServices;
using Gantry.Oci;
using Gantry.Registry.Server;
using Gantry.Registry.Server.Configuration;
using Gantry.Registry.Server.Storage;

namespace Gantry.Cli.Commands;

internal static class RegistryCommand
{
    /// <summary>How long in-flight requests may run after SIGTERM/SIGINT (inside System.CommandLine's 2 s termination window).</summary>
    private static readonly TimeSpan ShutdownDrain = TimeSpan.FromSeconds(1.5);

    public static Command Create()
    {
        var command = new Command("registry", "Run Gantry's own OCI distribution registry");
        command.Subcommands.Add(CreateServe());
        command.Subcommands.Add(CreateGarbageCollect());
        return command;
    }

    private static Command CreateServe()
    {
        var addr = new Option<string?>("--addr") { Description = "Address to listen on, HOST:PORT (default 127.0.0.1:5000; port 0 picks a free port)" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate for HTTPS" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key for HTTPS" };
        var htpasswd = new Option<string?>("--htpasswd") { Description = "htpasswd file (bcrypt, htpasswd -B) enabling Basic auth and the /token endpoint" };
        var tokenRealm = new Option<string?>("--token-realm") { Description = "Bearer token realm to advertise ('auto' = this registry's /token)" };
        var tokenService = new Option<string?>("--token-service") { Description = "Service name in token challenges and expected token audience" };
        var tokenIssuer = new Option<string?>("--token-issuer") { Description = "Expected issuer of tokens (and the issuer of this registry's own tokens)" };
        var tokenCert = new Option<string?>("--token-cert") { Description = "PEM public key or certificate of an external token realm" };
        var anonymousPull = new Option<bool>("--anonymous-pull") { Description = "Allow pulls without credentials when auth is on" };
        var readOnly = new Option<bool>("--read-only") { Description = "Refuse pushes and deletes" };
        var deleteEnabled = new Option<bool>("--delete-enabled") { Description = "Allow DELETE of manifests, tags and blobs" };
        var proxyRemote = new Option<string?>("--proxy-remote") { Description = "Act as a pull-through mirror of this upstream registry URL" };
        var config = new Option<string?>("--config") { Description = "Config file (JSON, or key: value lines); flags override it" };
        var gcInterval = new Option<string?>("--gc-interval") { Description = "How often online garbage collection runs (e.g. 1h; 0 disables)" };
        var noAccessLog = new Option<bool>("--no-access-log") { Description = "Do not write one log line per request to stderr" };

        var command = new Command("serve", "Serve an OCI distribution registry (docker, podman, skopeo and gantry can push and pull)")
        {
            addr, tlsCert, tlsKey, htpasswd, tokenRealm, tokenService, tokenIssuer, tokenCert, anonymousPull, readOnly, deleteEnabled, proxyRemote, config, gcInterval, noAccessLog,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            var configPath = parseResult.GetValue(config);
            var explicitRoot = parseResult.GetValue(GlobalOptions.Root);
            var defaultRoot = Path.Combine(GlobalOptions.ResolveRoot(parseResult), "registry");
            var options = configPath is null
                ? new RegistryOptions { Root = defaultRoot }
                : RegistryConfigFile.Load(configPath, new RegistryOptions { Root = defaultRoot });
            if (!string.IsNullOrEmpty(explicitRoot))
            {
                options = options with { Root = Path.GetFullPath(explicitRoot) };
            }

            options = options with
            {
                Address = parseResult.GetValue(addr) ?? options.Address,
                TlsCertificate = parseResult.GetValue(tlsCert) ?? options.TlsCertificate,
                TlsKey = parseResult.GetValue(tlsKey) ?? options.TlsKey,
                Htpasswd = parseResult.GetValue(htpasswd) ?? options.Htpasswd,
                TokenRealm = parseResult.GetValue(tokenRealm) ?? options.TokenRealm,
                TokenService = parseResult.GetValue(tokenService) ?? options.TokenService,
                TokenIssuer = parseResult.GetValue(tokenIssuer) ?? options.TokenIssuer,
                TokenCertificate = parseResult.GetValue(tokenCert) ?? options.TokenCertificate,
                AnonymousPull = parseResult.GetValue(anonymousPull) || options.AnonymousPull,
                ReadOnly = parseResult.GetValue(readOnly) || options.ReadOnly,
                DeleteEnabled = parseResult.GetValue(deleteEnabled) || options.DeleteEnabled,
                ProxyRemote = parseResult.GetValue(proxyRemote) ?? options.ProxyRemote,
                AccessLog = !parseResult.GetValue(noAccessLog) && options.AccessLog,
            };
            if (parseResult.GetValue(gcInterval) is { } gc)
            {
                options = options with { GcInterval = RegistryConfigFile.ParseDuration(gc) ?? throw new GantryException($"invalid --gc-interval '{gc}': use a duration such as 30m or 1h") };
            }

            // SIGTERM and SIGINT stop the registry gracefully and exit 0. System.CommandLine cancels `ct` on both and waits
            // ProcessTerminationTimeout (2 s by default) for this action before forcing exit 143/130; our own handlers also
            // cover a configuration without that handler. The drain must fit inside that window.
            var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                stopRequested.TrySetResult();
            }

            // Blob reads/writes and the fdatasync before a commit are blocking syscalls on pool threads: with many clients the
            // default pool (one thread per core, slow injection) starves. A registry process can afford more idle threads.
            ThreadPool.GetMinThreads(out var workers, out var io);
            ThreadPool.SetMinThreads(Math.Max(workers, 64), io);

            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var cancelled = ct.Register(() => stopRequested.TrySetResult());
            await using var server = await RegistryServer.StartAsync(options, Console.Error, ct).ConfigureAwait(false);
            Console.WriteLine($"Listening on {server.BaseAddress.ToString().TrimEnd('/')} (registry root {options.Root})");
            await Console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await Task.WhenAny(stopRequested.Task, server.WaitForShutdownAsync(CancellationToken.None)).ConfigureAwait(false);
            await server.StopAsync(ShutdownDrain).ConfigureAwait(false);
            await Console.Error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command CreateGarbageCollect()
    {
        var grace = new Option<string?>("--grace") { Description = "Keep unreferenced blobs younger than this (default 1h; 0 for an offline registry)" };
        var uploadExpiry = new Option<string?>("--upload-expiry") { Description = "Remove uploads idle longer than this (default 24h)" };
        var command = new Command("garbage-collect", "Delete blobs no manifest references and abandoned uploads from a registry root (--root)")
        {
            grace, uploadExpiry,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            var explicitRoot = parseResult.GetValue(GlobalOptions.Root);
            var root = string.IsNullOrEmpty(explicitRoot) ? Path.Combine(GlobalOptions.ResolveRoot(parseResult), "registry") : Path.GetFullPath(explicitRoot);
            TimeSpan Duration(string? value, TimeSpan fallback, string flag) => value is null ? fallback
                : RegistryConfigFile.ParseDuration(value) ?? throw new GantryException($"invalid {flag} '{value}': use a duration such as 0, 30m or 1h");
            var storage = new RegistryStorage(root);
            var result = await storage.CollectGarbageAsync(
                Duration(parseResult.GetValue(grace), TimeSpan.FromHours(1), "--grace"),
                Duration(parseResult.GetValue(uploadExpiry), TimeSpan.FromHours(24), "--upload-expiry"), ct).ConfigureAwait(false);
            Console.WriteLine($"Deleted {result.BlobsDeleted} blobs ({result.BytesFreed} bytes), {result.LinksDeleted} repository links and {result.UploadsDeleted} uploads");
            return 0;
        });
        return command;
    }
}
