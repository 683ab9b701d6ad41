// Owns: the test harness for real builds: a private store with the offline busybox image imported, a context dir, results unpacked.
using System.Collections.Concurrent;
using Gantry.Content;
using Gantry.Content.Archives;
using Gantry.Oci;
using Gantry.Reference;
using Gantry.Snapshots;
using Gantry.TestKit;

namespace Gantry.Build.Tests.Integration;

internal sealed class BuildHarness : IDisposable
{
    private readonly TempDirectory _dir = new("gantry-build");

    private BuildHarness()
    {
        Directory.CreateDirectory(Context);
    }

    public string Root => _dir.Combine("root");

    public string Context => _dir.Combine("ctx");

    public RecordingProgress Progress { get; private set; } = new();

    public ImageStore Store => ImageStore.Open(Root);

    /// <summary>Skips without root/crun/busybox-static; imports busybox as busybox:latest.</summary>
    public static async Task<BuildHarness> CreateAsync()
    {
        Requires.Root();
        Assert.SkipWhen(Requires.Which("crun") is null && Requires.Which("runc") is null, "needs crun or runc (apt-get install crun)");
        var busybox = BusyboxRootfs.Get();
        var harness = new BuildHarness();
        await harness.ImportBusyboxAsync("busybox:latest", busybox.Tar);
        return harness;
    }

    public async Task ImportBusyboxAsync(string name, string tar)
    {
        await using var input = File.OpenRead(tar);
        await ImageImporter.ImportAsync(Store, input, tar, ImageReference.ParseWithDefaultTag(name), cancellationToken: TestContext.Current.CancellationToken);
    }

    public string Write(string relativePath, string content)
    {
        var path = Path.Combine(Context, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public async Task<BuildResult> BuildAsync(string dockerfile, Func<BuildOptions, BuildOptions>? configure = null, string? root = null)
    {
        Write("Dockerfile", dockerfile);
        Progress = new RecordingProgress();
        var options = new BuildOptions { StoreRoot = root ?? Root, ContextDirectory = Context, Tags = ["test-image:latest"], Progress = Progress };
        options = configure?.Invoke(options) ?? options;
        return await ImageBuilder.BuildAsync(options, TestContext.Current.CancellationToken);
    }

    public async Task<Image> ImageAsync(BuildResult result, string? root = null) =>
        await ImageStore.Open(root ?? Root).ResolveAsync(result.ImageId.ToString(), TestContext.Current.CancellationToken);

    /// <summary>Applies every layer of the image into a fresh directory (whiteouts delete) and returns it.</summary>
    public async Task<string> UnpackAsync(BuildResult result, string? root = null)
    {
        var image = await ImageAsync(result, root);
        var target = _dir.Combine("unpacked-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(target);
        var store = ImageStore.Open(root ?? Root);
        foreach (var layer in image.Layers)
        {
            await LayerExtractor.ExtractFileAsync(store.Blobs.BlobPath(layer.Digest), target, new ExtractOptions { Mode = ExtractMode.Flatten, Sync = false }, TestContext.Current.CancellationToken);
        }

        return target;
    }

    public string NewRoot() => _dir.Combine("root-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => _dir.Dispose();
}

/// <summary>Records build events: which steps were cached, which ran, RUN output, messages.</summary>
internal sealed class RecordingProgress : IBuildProgress
{
    public ConcurrentQueue<string> Cached { get; } = new();

    public ConcurrentQueue<string> Done { get; } = new();

    public ConcurrentQueue<string> Output { get; } = new();

    public ConcurrentQueue<string> Messages { get; } = new();

    public ConcurrentQueue<string> Started { get; } = new();

    public void StepStarted(BuildStepInfo step) => Started.Enqueue(step.Text);

    public void StepCached(BuildStepInfo step) => Cached.Enqueue(step.Text);

    public void StepOutput(BuildStepInfo step, string line) => Output.Enqueue(line);

    public void StepDone(BuildStepInfo step, TimeSpan elapsed) => Done.Enqueue(step.Text);

    public void StepFailed(BuildStepInfo step, string message) => Messages.Enqueue("FAILED " + step.Text + ": " + message);

    public void Message(string line) => Messages.Enqueue(line);

    /// <summary>Filesystem steps that ran (FROM lines excluded).</summary>
    public IReadOnlyList<string> Executed => Done.Where(t => !t.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
}
