// Owns: image references parsed and normalized exactly as docker's distribution/reference does (ParseNormalizedNamed, FamiliarString).
using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Gantry.Oci;

namespace Gantry.Reference;

/// <summary>
/// A normalized image reference: <c>docker.io/library/busybox:latest</c>, <c>localhost:5000/a/b:t</c>,
/// <c>name@sha256:…</c>, <c>name:tag@sha256:…</c>. Parsing follows docker's grammar and normalization rules:
/// a first component containing '.' or ':' or equal to <c>localhost</c> (or containing uppercase) is a registry,
/// otherwise the registry is <c>docker.io</c> and one-component names get <c>library/</c>.
/// </summary>
public sealed partial record ImageReference
{
    public const string DefaultDomain = "docker.io";
    public const string LegacyDefaultDomain = "index.docker.io";
    public const string DockerHubApiHost = "registry-1.docker.io";
    public const string OfficialRepoPrefix = "library/";
    public const string DefaultTag = "latest";
    public const int NameTotalLengthMax = 255;
    public const int TagLengthMax = 128;

    private ImageReference(string domain, string path, string? tag, Digest? digest)
    {
        Domain = domain;
        Path = path;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The registry part as written/normalized, e.g. <c>docker.io</c>, <c>localhost:5000</c>.</summary>
    public string Domain { get; }

    /// <summary>Same as <see cref="Domain"/>: the registry this reference names.</summary>
    public string Registry => Domain;

    /// <summary>The host to call the registry API on: <c>registry-1.docker.io</c> for Docker Hub, else <see cref="Domain"/>.</summary>
    public string RegistryHost => Domain == DefaultDomain ? DockerHubApiHost : Domain;

    /// <summary>The repository path inside the registry, e.g. <c>library/busybox</c> (what the registry API calls the name).</summary>
    public string Path { get; }

    /// <summary>Same as <see cref="Path"/>: the repository within the registry, e.g. <c>library/busybox</c>.</summary>
    public string Repository => Path;

    /// <summary>The full normalized name without tag or digest, e.g. <c>docker.io/library/busybox</c>.</summary>
    public string Name => Domain + "/" + Path;

    /// <summary>The tag, or null when none was given.</summary>
    public string? Tag { get; }

    /// <summary>The digest, or null when none was given.</summary>
    public Digest? Digest { get; }

    /// <summary>True when neither tag nor digest is set.</summary>
    public bool IsNameOnly => Tag is null && Digest is null;

    /// <summary>The short name docker shows: <c>busybox</c>, <c>isaias0328/cron-ticker</c>, <c>localhost:5000/a/b</c>.</summary>
    public string FamiliarName
    {
        get
        {
            if (Domain != DefaultDomain)
            {
                return Name;
            }

            if (Path.StartsWith(OfficialRepoPrefix, StringComparison.Ordinal) && Path.IndexOf('/', OfficialRepoPrefix.Length) < 0)
            {
                return Path[OfficialRepoPrefix.Length..];
            }

            return Path;
        }
    }

    /// <summary>The short form with tag and digest, e.g. <c>busybox:latest</c>, <c>a/b@sha256:…</c>.</summary>
    public string FamiliarString => FamiliarName + Suffix;

    /// <summary>The familiar name plus tag only (e.g. <c>busybox:latest</c>), as docker prints under "Untagged:".</summary>
    private string Suffix => (Tag is null ? string.Empty : ":" + Tag) + (Digest is null ? string.Empty : "@" + Digest.Value);

    /// <summary>The full normalized string, e.g. <c>docker.io/library/busybox:latest</c>.</summary>
    public override string ToString() => Name + Suffix;

    /// <summary>An auth scope for this repository, e.g. <c>repository:library/busybox:pull,push</c>.</summary>
    public string Scope(params string[] actions) =>
        $"repository:{Path}:{string.Join(',', actions.Length == 0 ? ["pull"] : actions)}";

    /// <summary>The pull scope <c>repository:PATH:pull</c>.</summary>
    public string PullScope => Scope("pull");

    /// <summary>The push scope <c>repository:PATH:pull,push</c>.</summary>
    public string PushScope => Scope("pull", "push");

    /// <summary>Adds the <c>latest</c> tag when the reference has neither a tag nor a digest (docker's TagNameOnly).</summary>
    public ImageReference WithDefaultTag() => IsNameOnly ? new ImageReference(Domain, Path, DefaultTag, null) : this;

    /// <summary>A copy with this tag (the digest is kept).</summary>
    public ImageReference WithTag(string tag)
    {
        if (!TagRegex().IsMatch(tag))
        {
            throw new InvalidReferenceException(tag, TagError(tag));
        }

        return new ImageReference(Domain, Path, tag, Digest);
    }

    /// <summary>A copy with this digest (the tag is kept).</summary>
    public ImageReference WithDigest(Digest digest) => new(Domain, Path, Tag, digest);

    /// <summary>The name only, without tag or digest.</summary>
    public ImageReference WithoutTagOrDigest() => new(Domain, Path, null, null);

    /// <summary>Docker's ParseDockerRef: name:tag, or name@digest when a digest is present (the tag is dropped).</summary>
    public ImageReference ToDockerRef() => Digest is not null ? new ImageReference(Domain, Path, null, Digest) : WithDefaultTag();

    /// <summary>Parses and normalizes a reference (no default tag is added); throws <see cref="InvalidReferenceException"/> with the rule broken.</summary>
    public static ImageReference Parse(string value)
    {
        if (TryParse(value, out var reference, out var error))
        {
            return reference;
        }

        throw new InvalidReferenceException(value, error);
    }

    /// <summary>Parses, normalizes and adds <c>:latest</c> when neither tag nor digest is given.</summary>
    public static ImageReference ParseWithDefaultTag(string value) => Parse(value).WithDefaultTag();

    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out ImageReference? reference) =>
        TryParse(value, out reference, out _);

    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out ImageReference? reference, out string error)
    {
        reference = null;
        if (string.IsNullOrEmpty(value))
        {
            error = "repository name must have at least one component";
            return false;
        }

        if (IdentifierRegex().IsMatch(value))
        {
            error = "cannot specify 64-byte hexadecimal strings as a repository name";
            return false;
        }

        // Split off the digest and tag first, so the name can be normalized like splitDockerDomain does.
        var name = value;
        string? tag = null;
        string? digestText = null;
        var at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digestText = name[(at + 1)..];
            name = name[..at];
        }

        var lastSlash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = name[(colon + 1)..];
            name = name[..colon];
        }

        var (domain, remainder) = SplitDockerDomain(name);
        if (!string.Equals(remainder.ToLowerInvariant(), remainder, StringComparison.Ordinal))
        {
            error = $"repository name ({remainder}) must be lowercase";
            return false;
        }

        var full = domain + "/" + remainder;
        if (!NameRegex().IsMatch(full))
        {
            error = NameError(domain, remainder);
            return false;
        }

        if (full.Length > NameTotalLengthMax)
        {
            error = $"repository name must not be more than {NameTotalLengthMax} characters (this one has {full.Length})";
            return false;
        }

        if (tag is not null && !TagRegex().IsMatch(tag))
        {
            error = TagError(tag);
            return false;
        }

        Digest? digest = null;
        if (digestText is not null)
        {
            if (!DigestShapeRegex().IsMatch(digestText))
            {
                error = $"invalid digest format '{digestText}': a digest is ALGORITHM:HEX, e.g. sha256: followed by 64 lowercase hex characters";
                return false;
            }

            if (!Oci.Digest.TryParse(digestText, out var parsed, out var digestError))
            {
                error = $"invalid digest format '{digestText}': {digestError}";
                return false;
            }

            digest = parsed;
        }

        reference = new ImageReference(domain, remainder, tag, digest);
        error = string.Empty;
        return true;
    }

    /// <summary>docker's splitDockerDomain.</summary>
    private static (string Domain, string Remainder) SplitDockerDomain(string name)
    {
        string domain;
        string remainder;
        var i = name.IndexOf('/', StringComparison.Ordinal);
        if (i == -1 || (name.AsSpan(0, i).IndexOfAny('.', ':') < 0 && name[..i] != "localhost"
            && string.Equals(name[..i].ToLowerInvariant(), name[..i], StringComparison.Ordinal)))
        {
            domain = DefaultDomain;
            remainder = name;
        }
        else
        {
            domain = name[..i];
            remainder = name[(i + 1)..];
        }

        if (domain == LegacyDefaultDomain)
        {
            domain = DefaultDomain;
        }

        if (domain == DefaultDomain && !remainder.Contains('/', StringComparison.Ordinal))
        {
            remainder = OfficialRepoPrefix + remainder;
        }

        return (domain, remainder);
    }

    private static string TagError(string tag)
    {
        if (tag.Length == 0)
        {
            return "invalid tag format: a tag after ':' must not be empty";
        }

        if (tag.Length > TagLengthMax)
        {
            return $"invalid tag format: a tag must be at most {TagLengthMax} characters (this one has {tag.Length})";
        }

        return $"invalid tag format '{tag}': a tag may contain letters, digits, '_', '.' and '-', and must not start with '.' or '-'";
    }

    private static string NameError(string domain, string remainder)
    {
        if (!DomainRegex().IsMatch(domain))
        {
            return $"invalid registry '{domain}': a registry is a host name or IP with an optional :PORT";
        }

        foreach (var component in remainder.Split('/'))
        {
            if (component.Length == 0)
            {
                return "invalid reference format: a repository name must not contain empty components ('//' or a leading/trailing '/')";
            }

            if (!PathComponentRegex().IsMatch(component))
            {
                return $"invalid reference format: repository name component '{component}' may only contain lowercase letters, digits and the separators '.', '_', '__' or '-', and must start and end with a letter or digit";
            }
        }

        return "invalid reference format";
    }

    // Grammar from github.com/distribution/reference regexp.go.
    private const string Alnum = "[a-z0-9]+";
    private const string Separator = "(?:[._]|__|[-]+)";
    private const string PathComponent = Alnum + "(?:" + Separator + Alnum + ")*";
    private const string DomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private const string DomainName = DomainComponent + "(?:\\." + DomainComponent + ")*";
    private const string Ipv6 = "\\[(?:[a-fA-F0-9:]+)\\]";
    private const string Host = "(?:" + DomainName + "|" + Ipv6 + ")";
    private const string DomainPattern = Host + "(?::[0-9]+)?";

    [GeneratedRegex("^" + DomainPattern + "/" + PathComponent + "(?:/" + PathComponent + ")*$", RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();

    [GeneratedRegex("^" + DomainPattern + "$", RegexOptions.CultureInvariant)]
    private static partial Regex DomainRegex();

    [GeneratedRegex("^" + PathComponent + "$", RegexOptions.CultureInvariant)]
    private static partial Regex PathComponentRegex();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex TagRegex();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestShapeRegex();

    [GeneratedRegex("^[a-f0-9]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierRegex();
}
