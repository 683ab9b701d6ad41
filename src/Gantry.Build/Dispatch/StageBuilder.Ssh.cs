// Owns: RUN --mount=type=ssh for one stage: starting the forwarders a RUN needs, SSH_AUTH_SOCK, and stopping them after the RUN.
using System.Globalization;
using Gantry.Build.Steps;
using Gantry.Dockerfile.Instructions;
using Gantry.Oci;

namespace Gantry.Build.Dispatch;

internal sealed partial class StageBuilder
{
    // Steps of one stage run one after another, so these belong to the RUN in progress.
    private readonly List<SshForwarder> _sshForwarders = [];
    private string? _sshAuthSock;

    /// <summary>The bind mount for one ssh mount, or null when it is optional and no --ssh was given for its id.</summary>
    private async Task<Gantry.Runtime.MountSpec?> SshMountAsync(MountSpec m, string work, CancellationToken cancellationToken)
    {
        var id = m.Id ?? "default";
        var target = m.Target is { Length: > 0 } t
            ? CopyPlanner.JoinImage(_img.WorkingDir ?? "/", t)
            : "/run/buildkit/ssh_agent." + _sshForwarders.Count.ToString(CultureInfo.InvariantCulture);
        if (!_s.Options.Ssh.TryGetValue(id, out var sources))
        {
            if (m.Required)
            {
                throw new GantryException($"RUN --mount={m.Raw} requires the ssh agent '{id}', but it was not given: pass --ssh {(id == "default" ? "default" : id + "=PATH")} to gantry build");
            }

            return null;
        }

        var forwarder = await SshForwarder.StartAsync(id, sources, work, m.Uid ?? 0, m.Gid ?? 0, m.Mode ?? 0b110_000_000, cancellationToken).ConfigureAwait(false);
        _sshForwarders.Add(forwarder);
        _sshAuthSock ??= target;
        return Gantry.Runtime.MountSpec.Bind(forwarder.SocketPath, target);
    }

    /// <summary>The RUN environment plus SSH_AUTH_SOCK for the first ssh mount (unless the image sets it).</summary>
    private IReadOnlyList<string> SshEnvironment(List<string> env) =>
        _sshAuthSock is null || env.Exists(e => e.StartsWith("SSH_AUTH_SOCK=", StringComparison.Ordinal)) ? env : [.. env, "SSH_AUTH_SOCK=" + _sshAuthSock];

    /// <summary>Stops the forwarders (and private agents) the finished RUN used.</summary>
    private async Task ReleaseRunMountsAsync()
    {
        _sshAuthSock = null;
        foreach (var f in _sshForwarders)
        {
            await f.DisposeAsync().ConfigureAwait(false);
        }

        _sshForwarders.Clear();
    }
}
