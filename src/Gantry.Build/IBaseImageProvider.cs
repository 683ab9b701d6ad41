// Owns: the interface through which the builder obtains base images it does not have (implemented by the CLI with the registry client).
using Gantry.Oci;

namespace Gantry.Build;

/// <summary>Gets a base image into the local content store (e.g. by pulling it from a registry).</summary>
public interface IBaseImageProvider
{
    /// <summary>
    /// Makes <paramref name="reference"/> (a normalized name such as docker.io/library/node:19.2-alpine3.16) available in the
    /// content store at <paramref name="storeRoot"/> for <paramref name="platform"/>, and returns the digest of the manifest (or
    /// index) it stored under that name. Throws a GantryException with a clear message when it cannot.
    /// </summary>
    Task<Digest> PullAsync(string reference, Platform platform, string storeRoot, CancellationToken cancellationToken);
}
