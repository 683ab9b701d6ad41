// Owns: opening the image store of the root a verb was given (--root, $GANTRY_ROOT, the default), for every verb.
using System.CommandLine;
using Gantry.Content;

namespace Gantry.Cli;

internal static class CliStore
{
    /// <summary>The store root resolved from the command line and environment.</summary>
    public static string Root(ParseResult parseResult) => GlobalOptions.ResolveRoot(parseResult);

    /// <summary>Opens (creating if needed) the image store under the resolved root.</summary>
    public static ImageStore Open(ParseResult parseResult) => ImageStore.Open(Root(parseResult));
}
