// Owns: unit tests of docker's restart policy rules (parsing, the restart decision, the backoff) and detach-key parsing.
using Gantry.Oci;
using Gantry.Runtime.Monitor;

namespace Gantry.Runtime.Tests.Monitor;

public sealed class RestartPolicyTests
{
    [Theory]
    [InlineData(null, "no", 0)]
    [InlineData("no", "no", 0)]
    [InlineData("always", "always", 0)]
    [InlineData("unless-stopped", "unless-stopped", 0)]
    [InlineData("on-failure", "on-failure", 0)]
    [InlineData("on-failure:5", "on-failure", 5)]
    public void Parses_docker_policies(string? text, string name, int max)
    {
        var p = RestartPolicy.Parse(text);
        Assert.Equal(name, p.Name);
        Assert.Equal(max, p.MaximumRetryCount);
    }

    [Theory]
    [InlineData("sometimes")]
    [InlineData("always:3")]
    [InlineData("on-failure:x")]
    public void Rejects_bad_policies(string text) =>
        Assert.Equal(125, Assert.Throws<GantryException>(() => RestartPolicy.Parse(text)).ExitCode);

    [Fact]
    public void Decides_as_docker_does()
    {
        var always = RestartPolicy.Parse("always");
        Assert.True(always.ShouldRestart(0, manuallyStopped: false, 10));
        Assert.False(always.ShouldRestart(0, manuallyStopped: true, 0));
        Assert.False(RestartPolicy.Parse("unless-stopped").ShouldRestart(137, manuallyStopped: true, 0));
        var onFailure = RestartPolicy.Parse("on-failure:2");
        Assert.False(onFailure.ShouldRestart(0, false, 0));
        Assert.True(onFailure.ShouldRestart(1, false, 1));
        Assert.False(onFailure.ShouldRestart(1, false, 2));
        Assert.True(RestartPolicy.Parse("on-failure").ShouldRestart(1, false, 1000));
        Assert.False(RestartPolicy.No.ShouldRestart(1, false, 0));
    }

    [Fact]
    public void Backoff_doubles_from_100ms_and_resets_after_10s_of_running()
    {
        var d = RestartPolicy.NextDelay(TimeSpan.Zero, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromMilliseconds(100), d);
        d = RestartPolicy.NextDelay(d, TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromMilliseconds(200), d);
        d = RestartPolicy.NextDelay(d, TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromMilliseconds(400), d);
        Assert.Equal(TimeSpan.FromMilliseconds(100), RestartPolicy.NextDelay(d, TimeSpan.FromSeconds(10)));
        Assert.Equal(TimeSpan.FromMinutes(1), RestartPolicy.NextDelay(TimeSpan.FromSeconds(50), TimeSpan.Zero));
    }

    [Fact]
    public void Parses_detach_keys()
    {
        Assert.Equal([16, 17], AttachClient.ParseDetachKeys(null));
        Assert.Equal([1, (byte)'x'], AttachClient.ParseDetachKeys("ctrl-a,x"));
        Assert.Equal([27], AttachClient.ParseDetachKeys("ctrl-["));
        Assert.Throws<GantryException>(() => AttachClient.ParseDetachKeys("ctrl-"));
        Assert.Throws<GantryException>(() => AttachClient.ParseDetachKeys("ctrl-1"));
    }
}
