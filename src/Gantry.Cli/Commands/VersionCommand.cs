// Owns: `gantry version`.
using System.CommandLine;
using System.Reflection;

namespace Gantry.Cli.Commands;

internal static class VersionCommand
{
    public static string Version =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "0.1.0";

    public static Command Create()
    {
        var command = new Command("version", "Show the Gantry version information");
        command.SetAction(_ =>
        {
            Console.WriteLine("Client: Gantry");
            Console.WriteLine($" Version:           {Version}");
            Console.WriteLine($" Runtime:           .NET {Environment.Version}");
            Console.WriteLine($" OS/Arch:           linux/{Gantry.Oci.Platform.Current.Architecture}");
            return 0;
        });
        return command;
    }
}
