// Owns: tests of the monitor's attach socket: output frames, stdin, detach keys and the exit code over a long socket path.
using System.Text;
using Gantry.Runtime.Monitor;
using Gantry.TestKit;

namespace Gantry.Runtime.Tests.Monitor;

public sealed class AttachSocketTests
{
    [Fact]
    public async Task Client_gets_output_and_exit_code_and_server_gets_stdin_over_a_long_path()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory("gantry-attach");
        var dir = Path.Combine(temp.FullPath, new string('d', 60), new string('e', 60));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, AttachProtocol.SocketName);
        Assert.True(path.Length > 108);
        using var server = AttachServer.Start(path);
        var stdin = new StringBuilder();
        var gotStdin = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var eof = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.SetStdin(
            data =>
            {
                lock (stdin)
                {
                    stdin.Append(Encoding.UTF8.GetString(data));
                    if (stdin.ToString() == "hello\n")
                    {
                        gotStdin.TrySetResult();
                    }
                }
            },
            () => eof.TrySetResult());

        using var client = AttachClient.Connect(path);
        await server.WaitForClientAsync(TimeSpan.FromSeconds(30));
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        using var input = new MemoryStream(Encoding.UTF8.GetBytes("hello\n"));
        var run = client.RunAsync(input, stdout, stderr, AttachClient.ParseDetachKeys(null), ct);
        await gotStdin.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        await eof.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        using (var o = new BroadcastStream(server, AttachProtocol.Stdout))
        using (var e = new BroadcastStream(server, AttachProtocol.Stderr))
        {
            o.Write("out\n"u8);
            e.Write("err\n"u8);
        }

        server.SendExit(42);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Equal(new AttachResult(42, false), result);
        Assert.Equal("out\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Equal("err\n", Encoding.UTF8.GetString(stderr.ToArray()));
    }

    [Fact]
    public async Task Detach_keys_end_the_attach_and_only_earlier_bytes_are_sent()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory("gantry-attach");
        var path = Path.Combine(temp.FullPath, AttachProtocol.SocketName);
        using var server = AttachServer.Start(path);
        var received = new List<byte>();
        server.SetStdin(
            data =>
            {
                lock (received)
                {
                    received.AddRange(data);
                }
            },
            null);
        using var client = AttachClient.Connect(path);
        using var input = new MemoryStream([(byte)'a', 16, (byte)'b', 16, 17, (byte)'c']);
        var result = await client.RunAsync(input, Stream.Null, Stream.Null, AttachClient.ParseDetachKeys(null), ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.True(result.Detached);
        for (var i = 0; i < 300; i++)
        {
            lock (received)
            {
                if (received.Count >= 3)
                {
                    break;
                }
            }

            await Task.Delay(10, ct);
        }

        lock (received)
        {
            Assert.Equal([(byte)'a', 16, (byte)'b'], received);
        }
    }
}
