// Owns: a tiny directory-backed IBlobStore for snapshot tests (the real content store lives in Gantry.Content).
using Gantry.Oci;

namespace Gantry.Snapshots.Tests;

internal sealed class TestBlobStore(string dir) : IBlobStore
{
    private string PathOf(Digest d) => Path.Combine(dir, d.Encoded);

    public ValueTask<bool> ExistsAsync(Digest digest, CancellationToken cancellationToken = default) => ValueTask.FromResult(File.Exists(PathOf(digest)));

    public ValueTask<long?> GetSizeAsync(Digest digest, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(File.Exists(PathOf(digest)) ? new FileInfo(PathOf(digest)).Length : (long?)null);

    public ValueTask<Stream> OpenReadAsync(Digest digest, CancellationToken cancellationToken = default) =>
        File.Exists(PathOf(digest)) ? ValueTask.FromResult<Stream>(File.OpenRead(PathOf(digest))) : throw new ContentNotFoundException($"blob {digest} not found");

    public async Task WriteAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(dir);
        var tmp = PathOf(expected.Digest) + ".tmp";
        await using (var f = File.Create(tmp))
        {
            await using var v = new VerifyingStream(content, expected.Digest, expected.Size, leaveOpen: true);
            await v.CopyToAsync(f, cancellationToken);
        }

        File.Move(tmp, PathOf(expected.Digest), overwrite: true);
    }

    public async Task<Digest> WriteAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var d = Digest.Compute(content.Span);
        Directory.CreateDirectory(dir);
        await File.WriteAllBytesAsync(PathOf(d), content.ToArray(), cancellationToken);
        return d;
    }

    /// <summary>Stores a layer file and returns its SnapshotLayer (diffID computed from the decompressed data by the caller).</summary>
    public async Task<SnapshotLayer> AddLayerFileAsync(string path, string mediaType, Digest diffId)
    {
        var bytes = await File.ReadAllBytesAsync(path);
        var digest = await WriteAsync(bytes);
        return new SnapshotLayer(new Descriptor { MediaType = mediaType, Digest = digest, Size = bytes.Length }, diffId);
    }
}
