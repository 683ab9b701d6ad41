// Owns: the process entry point; everything else lives in GantryApp and the verb files under Commands/.
namespace Gantry.Cli;

internal static class Program
{
    public static Task<int> Main(string[] args)
    {
        InterruptSignal.TakeBackIfIgnored();
        return GantryApp.RunAsync(args);
    }
}
