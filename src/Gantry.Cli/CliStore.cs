// Owns: opening the image store of the root a verb was given (--root, $GANTRY_ROOT, the default), for every verb.
using System.CommandLine;
using Gantry.Content;
using Gantry.Oci;

namespace Gantry.Cli;

internal static class CliStore
{
    /// <summary>The store root resolved from the command line and environment.</summary>
    public static string Root(ParseResult parseResult) => GlobalOptions.ResolveRoot(parseResult);

    /// <summary>Opens (creating if needed) the image store under the resolved root.</summary>
    public static ImageStore Open(ParseResult parseResult) => ImageStore.Open(Root(parseResult));

    /// <summary>A scratch folder under ROOT/tmp (same file system as the store), created if needed.</summary>
    public static string TempDirectory(ParseResult parseResult)
    {
        var tmp = Path.Combine(Root(parseResult), "tmp");
        Directory.CreateDirectory(tmp);
        return tmp;
    }

    /// <summary>
    /// Set by the runtime's registration (root → image ID → used by a container?) so rmi/prune/system df know which
    /// images containers use. Null: no containers.
    /// </summary>
    public static Func<string, Func<Digest, bool>>? InUseProvider { get; set; }

    /// <summary>The in-use predicate for this root, or null.</summary>
    public static Func<Digest, bool>? InUse(ParseResult parseResult) => InUseProvider?.Invoke(Root(parseResult));
}
