// Owns: `gantry exec [-i] [-t] [-e] [-u] [-w] CONTAINER COMMAND [ARG...]`.
using System.CommandLine;
using Gantry.Cli.Containers;
using Gantry.Oci;
using Gantry.Runtime;
using Gantry.Runtime.State;

namespace Gantry.Cli.Commands;

internal static class ExecCommand
{
    public static Command Create()
    {
        var command = new Command("exec", "Execute a command in a running container");
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables" };
        var user = new Option<string?>("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container" };
        var detach = new Option<bool>("--detach", "-d") { Description = "Detached mode: run command in the background" };
        var container = new Argument<string>("container");
        var cmd = new Argument<string[]>("command") { Arity = ArgumentArity.OneOrMore };
        foreach (var o in new Option[] { interactive, tty, env, user, workdir, detach })
        {
            command.Options.Add(o);
        }

        command.Arguments.Add(container);
        command.Arguments.Add(cmd);
        command.SetAction(async (pr, ct) =>
        {
            var store = ContainerCli.Store(pr);
            var record = store.Get(pr.GetValue(container)!);
            if (!ContainerStore.IsRunning(record))
            {
                throw new GantryException($"container {record.Id} is not running: start it first with 'gantry start {record.Name}'");
            }

            var envs = (pr.GetValue(env) ?? []).Select(e => e.Contains('=', StringComparison.Ordinal) ? e : e + "=" + Environment.GetEnvironmentVariable(e)).ToList();
            var runtime = ContainerCli.Runtime(record.Runtime);
            return await ContainerExec.ExecAsync(runtime, record.Id, store.BundleDir(record.Id), record.Spec.RootfsPath, pr.GetValue(cmd)!, envs,
                pr.GetValue(user), pr.GetValue(workdir), pr.GetValue(tty), pr.GetValue(interactive), ct).ConfigureAwait(false);
        });
        return command;
    }
}
