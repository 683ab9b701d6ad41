// Owns: tests of the COPY reuse index: what it records, when its lookup vouches for an earlier file, and that a bad index is a miss.
using System.Security.Cryptography;
using Gantry.Build.Steps;
using Gantry.Oci;
using Gantry.Snapshots;
using Gantry.TestKit;

namespace Gantry.Build.Tests.Steps;

public sealed class CopyReuseIndexTests
{
    private static readonly Digest DiffId = Digest.Compute("layer"u8);

    private static (TempDirectory Tmp, string Layer, List<PlannedEntry> Planned) Setup()
    {
        var tmp = new TempDirectory("build-reuse");
        var layer = tmp.Combine("layer");
        Directory.CreateDirectory(Path.Combine(layer, "app"));
        var planned = new List<PlannedEntry>();
        foreach (var name in new[] { "a.txt", "b.txt" })
        {
            var path = Path.Combine(layer, "app", name);
            File.WriteAllText(path, name);
            planned.Add(new PlannedEntry { Path = "app/" + name, Kind = PlannedKind.File, ContentHash = SHA256.HashData(File.ReadAllBytes(path)) });
        }

        planned.Add(new PlannedEntry { Path = "app", Kind = PlannedKind.Directory });
        return (tmp, layer, planned);
    }

    private static string? Ask(SameFileLookup lookup, string layer, string rel)
    {
        var st = Native.FileStatReader.TryLstat(Path.Combine(layer, rel))!.Value;
        return lookup(rel, st.Size, (int)st.Permissions, (int)st.Uid, (int)st.Gid, st.MtimeSeconds, (int)st.MtimeNanos);
    }

    [Fact]
    public void A_recorded_unchanged_file_with_the_same_content_hash_is_offered_and_nothing_else_is()
    {
        var (tmp, layer, planned) = Setup();
        using var _ = tmp;
        var build = tmp.Combine("build");
        CopyReuseIndex.Record(build, "step1", DiffId, layer, planned);

        var index = CopyReuseIndex.Load(build, "step1", d => d == DiffId ? layer : null);
        Assert.NotNull(index);
        Assert.Equal(2, index.Count);
        var edited = planned.Select(e => e.Path == "app/b.txt" ? e with { ContentHash = SHA256.HashData("other"u8) } : e).ToList();
        var lookup = index.Lookup(edited);

        Assert.Equal(layer + "/app/a.txt", Ask(lookup, layer, "app/a.txt"));
        Assert.Null(Ask(lookup, layer, "app/b.txt")); // its new content differs from what the layer holds
        Assert.Null(lookup("app/a.txt", 999, 0b110_100_100, 0, 0, 0, 0)); // another size, mode or mtime
        File.SetLastWriteTimeUtc(Path.Combine(layer, "app", "a.txt"), new DateTime(2002, 2, 2, 0, 0, 0, DateTimeKind.Utc));
        Assert.Null(Ask(lookup, layer, "app/a.txt")); // touched since it was recorded: its ctime moved
    }

    [Fact]
    public void A_missing_torn_or_foreign_index_or_a_layer_no_longer_unpacked_is_a_miss()
    {
        var (tmp, layer, planned) = Setup();
        using var _ = tmp;
        var build = tmp.Combine("build");
        Assert.Null(CopyReuseIndex.Load(build, "none", _ => layer));

        CopyReuseIndex.Record(build, "step1", DiffId, layer, planned);
        Assert.Null(CopyReuseIndex.Load(build, "step1", _ => null));

        var file = CopyReuseIndex.PathFor(build, "step1");
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..^5]);
        Assert.Null(CopyReuseIndex.Load(build, "step1", _ => layer));
        File.WriteAllBytes(file, [.. bytes, 1, 2, 3]);
        Assert.Null(CopyReuseIndex.Load(build, "step1", _ => layer));
        File.WriteAllText(file, "not an index");
        Assert.Null(CopyReuseIndex.Load(build, "step1", _ => layer));
    }
}
