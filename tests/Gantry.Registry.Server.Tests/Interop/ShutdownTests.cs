// Owns: graceful shutdown of `gantry registry serve` on SIGTERM/SIGINT (JIT apphost and the Native AOT binary).
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Gantry.TestKit;

namespace Gantry.Registry.Server.Tests.Interop;

public sealed class ShutdownTests
{
    private const string AotBinary = "/usr/local/bin/gantry";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> Cases => new()
    {
        { "apphost", "TERM" },
        { "apphost", "INT" },
        { "aot", "TERM" },
        { "aot", "INT" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_signal_lets_the_in_flight_download_finish_flushes_the_log_and_exits_0(string binary, string signal)
    {
        var executable = GantryCli.Executable;
        if (binary == "aot")
        {
            Assert.SkipUnless(File.Exists(AotBinary), $"no Native AOT gantry at {AotBinary} (scripts/install-deps.sh publishes one)");
            executable = AotBinary;
        }

        using var dir = new TempDirectory("gantry-shutdown");
        var server = await ServeProcess.StartAsync(executable, ["--addr", "127.0.0.1:0", "--root", dir.Combine("reg")], Ct);
        await using (server)
        {
            // A blob far larger than the loopback socket buffers: the server is still sending while we hold the response.
            var blob = TestRegistry.RandomBytes(16 * 1024 * 1024);
            Gantry.Oci.Digest digest;
            await using (var pusher = new SpecPusher(server.BaseAddress))
            {
                digest = await pusher.PushBlobAsync("shut/down", blob);
            }

            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            using var response = await http.GetAsync($"/v2/shut/down/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync(Ct);

            server.Signal(signal);
            var received = SHA256.HashData(body);
            Assert.Equal(digest.Encoded, Convert.ToHexStringLower(received));

            Assert.Equal(0, await server.WaitForExitAsync());
            var log = server.StdErr;
            Assert.Contains("msg=\"shutting down", log, StringComparison.Ordinal);
            Assert.Contains("msg=stopped", log, StringComparison.Ordinal);
            Assert.Contains($"path=/v2/shut/down/blobs/{digest} status=200", log, StringComparison.Ordinal);

            // Nothing listens any more.
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(IPAddress.Loopback, server.BaseAddress.Port, Ct));
        }
    }

    [Theory]
    [InlineData("apphost")]
    [InlineData("aot")]
    public async Task Started_with_SIGINT_ignored_it_still_stops_on_SIGINT(string binary)
    {
        // A script's `gantry registry serve &` (no job control) and many CI runners start it like this; docker's
        // registry (Go) takes SIGINT back, and so must gantry.
        var executable = GantryCli.Executable;
        if (binary == "aot")
        {
            Assert.SkipUnless(File.Exists(AotBinary), $"no Native AOT gantry at {AotBinary} (scripts/install-deps.sh publishes one)");
            executable = AotBinary;
        }

        using var dir = new TempDirectory("gantry-shutdown");
        var server = await ServeProcess.StartAsync(executable, ["--addr", "127.0.0.1:0", "--root", dir.Combine("reg")], Ct, sigintIgnored: true);
        await using (server)
        {
            server.Signal("INT");
            Assert.Equal(0, await server.WaitForExitAsync());
            Assert.Contains("msg=stopped", server.StdErr, StringComparison.Ordinal);
        }
    }
}
