// Owns: tests of WWW-Authenticate parsing as registries send it.
using Gantry.Registry.Client.Transport;

namespace Gantry.Registry.Client.Tests.Transport;

public sealed class AuthChallengeTests
{
    [Fact]
    public void Parses_docker_hub_bearer_challenge()
    {
        var c = AuthChallenge.Parse("""Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull" """)!;
        Assert.True(c.IsBearer);
        Assert.Equal("https://auth.docker.io/token", c.Realm);
        Assert.Equal("registry.docker.io", c.Service);
        Assert.Equal("repository:library/busybox:pull", c.Scope);
    }

    [Fact]
    public void Parses_basic_and_unquoted_values()
    {
        var c = AuthChallenge.Parse("Basic realm=gantry-test")!;
        Assert.True(c.IsBasic);
        Assert.Equal("gantry-test", c.Realm);
        Assert.Null(AuthChallenge.Parse(""));
    }

    [Theory]
    [InlineData("localhost:5000", true)]
    [InlineData("127.0.0.2:80", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("ghcr.io", false)]
    [InlineData("10.0.0.1:5000", false)]
    public void Loopback_hosts_are_insecure_by_default(string host, bool insecure) =>
        Assert.Equal(insecure, new RegistryOptions().IsInsecure(host));
}
