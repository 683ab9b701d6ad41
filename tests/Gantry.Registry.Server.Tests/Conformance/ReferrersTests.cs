// Owns: the distribution spec's referrers checks: OCI-Subject on push, the referrers index, artifactType filtering, removal.
using System.Net;
using System.Text;
using System.Text.Json;
using Gantry.Oci;

namespace Gantry.Registry.Server.Tests.Conformance;

public sealed class ReferrersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Referrers_are_listed_filtered_and_removed_with_their_manifest()
    {
        await using var r = await TestRegistry.StartAsync();
        var (subject, subjectDigest, _, _) = await r.PushImageAsync("refs/app", "v1");
        var empty = await r.PushBlobAsync("refs/app", "{}"u8.ToArray());

        var sbom = TestRegistry.ImageManifest(empty, 2, [], configType: MediaTypes.OciEmpty, subject: subjectDigest.ToString(), subjectSize: subject.Length,
            artifactType: "application/vnd.example.sbom", annotation: "sbom");
        using var put = await r.PutManifestRawAsync("refs/app", TestRegistry.DigestOf(sbom).ToString(), sbom, MediaTypes.OciManifest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(subjectDigest.ToString(), put.Headers.GetValues("OCI-Subject").Single());

        // No artifactType: the config media type is the artifact type.
        var sigConfig = Encoding.UTF8.GetBytes("{\"sig\":true}");
        var sc = await r.PushBlobAsync("refs/app", sigConfig);
        var sig = TestRegistry.ImageManifest(sc, sigConfig.Length, [], configType: "application/vnd.example.signature.config", subject: subjectDigest.ToString(), subjectSize: subject.Length);
        var sigDigest = await r.PutManifestAsync("refs/app", TestRegistry.DigestOf(sig).ToString(), sig, MediaTypes.OciManifest);

        using var all = await r.Client.GetAsync($"/v2/refs/app/referrers/{subjectDigest}", Ct);
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Equal(MediaTypes.OciIndex, all.Content.Headers.ContentType!.MediaType);
        using (var doc = JsonDocument.Parse(await all.Content.ReadAsStringAsync(Ct)))
        {
            Assert.Equal(2, doc.RootElement.GetProperty("schemaVersion").GetInt32());
            var list = doc.RootElement.GetProperty("manifests").EnumerateArray().ToList();
            Assert.Equal(2, list.Count);
            var sbomEntry = list.Single(e => e.GetProperty("digest").GetString() == TestRegistry.DigestOf(sbom).ToString());
            Assert.Equal("application/vnd.example.sbom", sbomEntry.GetProperty("artifactType").GetString());
            Assert.Equal(sbom.Length, sbomEntry.GetProperty("size").GetInt64());
            Assert.Equal("sbom", sbomEntry.GetProperty("annotations").GetProperty("org.example.note").GetString());
            var sigEntry = list.Single(e => e.GetProperty("digest").GetString() == sigDigest.ToString());
            Assert.Equal("application/vnd.example.signature.config", sigEntry.GetProperty("artifactType").GetString());
        }

        using var filtered = await r.Client.GetAsync($"/v2/refs/app/referrers/{subjectDigest}?artifactType=application/vnd.example.sbom", Ct);
        Assert.Equal("artifactType", filtered.Headers.GetValues("OCI-Filters-Applied").Single());
        using (var doc = JsonDocument.Parse(await filtered.Content.ReadAsStringAsync(Ct)))
        {
            Assert.Single(doc.RootElement.GetProperty("manifests").EnumerateArray());
        }

        using var del = await r.Client.DeleteAsync($"/v2/refs/app/manifests/{sigDigest}", Ct);
        Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        using var after = await r.Client.GetAsync($"/v2/refs/app/referrers/{subjectDigest}", Ct);
        using (var doc = JsonDocument.Parse(await after.Content.ReadAsStringAsync(Ct)))
        {
            Assert.Single(doc.RootElement.GetProperty("manifests").EnumerateArray());
        }
    }

    [Fact]
    public async Task Referrers_of_an_unknown_subject_is_an_empty_index_and_a_subject_may_be_pushed_later()
    {
        await using var r = await TestRegistry.StartAsync();
        var unknown = TestRegistry.DigestOf(Encoding.UTF8.GetBytes("later"));
        using var resp = await r.Client.GetAsync($"/v2/refs/none/referrers/{unknown}", Ct);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync(Ct));
        Assert.Empty(doc.RootElement.GetProperty("manifests").EnumerateArray());

        var empty = await r.PushBlobAsync("refs/none", "{}"u8.ToArray());
        var art = TestRegistry.ImageManifest(empty, 2, [], configType: MediaTypes.OciEmpty, subject: unknown.ToString(), subjectSize: 5, artifactType: "application/x");
        using var put = await r.PutManifestRawAsync("refs/none", "art", art, MediaTypes.OciManifest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(unknown.ToString(), put.Headers.GetValues("OCI-Subject").Single());
    }
}
