// Owns: pinning which Gantry project may reference which (the layering in docs/architecture).
using System.Xml.Linq;

namespace Gantry.Architecture.Tests;

public sealed class ProjectReferenceTests
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Gantry.Oci"] = [],
        ["Gantry.Dockerfile"] = [],
        ["Gantry.Reference"] = ["Gantry.Oci"],
        ["Gantry.Content"] = ["Gantry.Oci", "Gantry.Reference"],
        ["Gantry.Snapshots"] = ["Gantry.Oci", "Gantry.Content"],
        ["Gantry.Runtime"] = ["Gantry.Oci", "Gantry.Snapshots"],
        ["Gantry.Registry.Client"] = ["Gantry.Oci", "Gantry.Reference"],
        ["Gantry.Registry.Server"] = ["Gantry.Oci", "Gantry.Reference", "Gantry.Content"],
        ["Gantry.Build"] = ["Gantry.Dockerfile", "Gantry.Oci", "Gantry.Reference", "Gantry.Content", "Gantry.Snapshots", "Gantry.Runtime"],
        ["Gantry.Cli"] = ["Gantry.Oci", "Gantry.Reference", "Gantry.Content", "Gantry.Dockerfile", "Gantry.Snapshots", "Gantry.Runtime", "Gantry.Registry.Client", "Gantry.Registry.Server", "Gantry.Build"],
    };

    private static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Gantry.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("repository root not found");
        }
    }

    private static IEnumerable<string> References(string csproj) =>
        XDocument.Load(csproj).Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')));

    public static TheoryData<string> SourceProjects()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(RepoRoot, "src")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void Source_project_references_only_its_allowed_dependencies(string project)
    {
        Assert.True(Allowed.ContainsKey(project), $"{project} is not in the architecture table; add it with its allowed references");
        var csproj = Path.Combine(RepoRoot, "src", project, project + ".csproj");
        var extra = References(csproj).Except(Allowed[project]).ToList();
        Assert.True(extra.Count == 0, $"{project} references {string.Join(", ", extra)}, which the layering forbids");
    }

    [Fact]
    public void Nothing_references_the_cli()
    {
        var offenders = Directory.GetFiles(Path.Combine(RepoRoot, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.EndsWith("Gantry.Cli.csproj", StringComparison.Ordinal))
            .Where(p => References(p).Contains("Gantry.Cli"))
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void Registry_server_never_references_the_registry_client()
    {
        var csproj = Path.Combine(RepoRoot, "src", "Gantry.Registry.Server", "Gantry.Registry.Server.csproj");
        Assert.DoesNotContain("Gantry.Registry.Client", References(csproj));
    }

    [Fact]
    public void Every_source_project_has_a_test_project()
    {
        foreach (var dir in Directory.GetDirectories(Path.Combine(RepoRoot, "src")))
        {
            var name = Path.GetFileName(dir);
            Assert.True(Directory.Exists(Path.Combine(RepoRoot, "tests", name + ".Tests")), $"tests/{name}.Tests is missing");
        }
    }
}
