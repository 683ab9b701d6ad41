// Owns: turning exceptions into docker-style one-line errors on stderr and an exit code.
using Gantry.Oci;

namespace Gantry.Cli;

public static class ErrorReporter
{
    public static bool IsUserFacing(Exception ex) =>
        ex is GantryException or Gantry.Dockerfile.DockerfileException or OperationCanceledException or IOException or UnauthorizedAccessException;

    public static int Report(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        switch (ex)
        {
            case OperationCanceledException:
                Console.Error.WriteLine("Error: canceled");
                return 130;
            case Gantry.Dockerfile.DockerfileException d:
                Console.Error.WriteLine($"Error: {d.ToDisplayString()}");
                return 1;
            case GantryException g:
                Console.Error.WriteLine($"Error: {g.Message}");
                return g.ExitCode;
            default:
                Console.Error.WriteLine($"Error: {ex.Message}");
                return 1;
        }
    }
}
