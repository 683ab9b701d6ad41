// Owns: building the root command from the verb files and running it with docker-like error reporting.
using System.CommandLine;
using Gantry.Cli.Commands;

namespace Gantry.Cli;

public static class GantryApp
{
    /// <summary>Builds the command tree. Each verb lives in its own file under Commands/ and adds itself here.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("Gantry: a daemonless, Docker-compatible container engine, registry client and registry.");
        root.Options.Add(GlobalOptions.Root);
        root.Options.Add(GlobalOptions.Debug);

        // One line per verb (or verb group). Keep alphabetical to avoid merge clashes.
        root.Subcommands.Add(AttachCommand.Create());
        root.Subcommands.Add(BuildCommand.Create());
        root.Subcommands.Add(BuilderCommand.Create());
        root.Subcommands.Add(ContainerCommand.Create());
        root.Subcommands.Add(CpCommand.Create());
        root.Subcommands.Add(ContainerInternalCommand.Create());
        root.Subcommands.Add(CreateCommand.Create());
        root.Subcommands.Add(DockerfileCommand.Create());
        root.Subcommands.Add(HistoryCommand.Create());
        ImageCommand.Register(root);
        ImageCommand.Get(root).Subcommands.Add(BuildCommand.Create());
        root.Subcommands.Add(ImagesCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(ExecCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(KillCommand.Create());
        root.Subcommands.Add(LoadCommand.Create());
        root.Subcommands.Add(LogsCommand.Create());
        root.Subcommands.Add(LoginCommand.Create());
        root.Subcommands.Add(LogoutCommand.Create());
        root.Subcommands.Add(PortCommand.Create());
        root.Subcommands.Add(PsCommand.Create());
        root.Subcommands.Add(PullCommand.Create());
        root.Subcommands.Add(PushCommand.Create());
        root.Subcommands.Add(RegistryCommand.Create());
        root.Subcommands.Add(RenameCommand.Create());
        root.Subcommands.Add(RestartCommand.Create());
        root.Subcommands.Add(RmCommand.Create());
        root.Subcommands.Add(RmiCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(SaveCommand.Create());
        root.Subcommands.Add(StartCommand.Create());
        root.Subcommands.Add(StatsCommand.Create());
        root.Subcommands.Add(StopCommand.Create());
        SystemCommand.Register(root);
        root.Subcommands.Add(TagCommand.Create());
        root.Subcommands.Add(TopCommand.Create());
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(VolumeCommand.Create());
        root.Subcommands.Add(WaitCommand.Create());

        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        using var cts = new CancellationTokenSource();
        var root = BuildRoot();
        args = Containers.CommandLineSplitter.Split(args); // docker: everything after the image is the container's command
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        try
        {
            return await root.Parse(args).InvokeAsync(config, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ErrorReporter.IsUserFacing(ex))
        {
            return ErrorReporter.Report(ex);
        }
    }
}
