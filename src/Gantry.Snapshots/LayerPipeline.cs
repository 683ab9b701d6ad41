// Owns: the two-thread layer writing pipeline: tar writer + diffID hash on one core, compressor + blob hash on the other.
using Gantry.Oci;
using Gantry.Oci.IO;
using Gantry.Snapshots.IO;
using Gantry.Snapshots.Tar;

namespace Gantry.Snapshots;

internal static class LayerPipeline
{
    /// <summary>
    /// Runs <paramref name="produce"/> (which writes tar entries and returns how many real entries it wrote) on one thread
    /// and compresses its output into <paramref name="output"/> on another, hashing both sides in the same pass.
    /// </summary>
    public static Task<LayerResult> WriteAsync(Stream output, LayerWriteOptions options, Func<TarWriter, CancellationToken, int> produce, CancellationToken cancellationToken) =>
        WriteAsync(output, options, produce, unpackTo: null, cancellationToken);

    /// <summary>
    /// Like <see cref="WriteAsync(Stream, LayerWriteOptions, Func{TarWriter, CancellationToken, int}, CancellationToken)"/>; when
    /// <paramref name="unpackTo"/> is set, the uncompressed tar is also applied there (overlay-lower form, the same safe
    /// <see cref="TarApplier"/> as any unpack) on a third thread, so the layer's directory exists without ever decompressing the
    /// blob. When that fails the layer is still written and <see cref="LayerResult.UnpackedDirectory"/> stays null.
    /// </summary>
    public static async Task<LayerResult> WriteAsync(Stream output, LayerWriteOptions options, Func<TarWriter, CancellationToken, int> produce, string? unpackTo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var pipe = new BoundedPipe(cancellationToken);
        using var unpackPipe = unpackTo is null ? null : new BoundedPipe(cancellationToken, chunkSize: 512 * 1024, capacity: 8);
        var unpacking = unpackPipe is null ? null : Task.Factory.StartNew(() => Unpack(unpackPipe, unpackTo!, options.UnpackSameFile), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Digest diffId = default;
        long uncompressed = 0;
        var entries = 0;
        (Digest Digest, long Size, IReadOnlyList<GzipMember>? Members, int Reused) compressed;
        try
        {
            compressed = await pipe.RunAsync(
                () =>
                {
                    try
                    {
                        using var hashing = new HashingStream(unpackPipe is null ? pipe.Writer : new TeeStream(pipe.Writer, unpackPipe.Writer));
                        var tar = new TarWriter(hashing);
                        entries = produce(tar, pipe.Token);
                        tar.Finish();
                        diffId = hashing.GetDigest();
                        uncompressed = hashing.Count;
                        unpackPipe?.Complete();
                        Gantry.Oci.Diagnostics.PhaseTrace.Mark("layer: tar written");
                    }
                    catch (Exception ex)
                    {
                        unpackPipe?.Complete(ex);
                        throw;
                    }
                },
                () =>
                {
                    // A sink that digests what it is given (the content store's ingest) gives the blob digest: hashing here
                    // as well would run SHA-256 twice over every compressed byte (500 MB twice for a 500 MB layer).
                    var digesting = output is IDigestingStream { Written: 0 } sink ? sink : null;
                    using var hashing = digesting is null ? new HashingStream(output) : null;
                    var target = (Stream?)hashing ?? output;
                    var compressor = Compressions.OpenWrite(target, options.Compression, options.CompressionLevel, options.MemberCache);
                    using (compressor)
                    {
                        pipe.Reader.CopyTo(compressor, 256 * 1024);
                        Gantry.Oci.Diagnostics.PhaseTrace.Mark("layer: compressor fed");
                    }

                    Gantry.Oci.Diagnostics.PhaseTrace.Mark("layer: compressor done");
                    target.Flush();
                    var gzip = compressor as ParallelGzipStream;
                    var (digest, size) = hashing is not null ? (hashing.GetDigest(), hashing.Count) : (digesting!.CurrentDigest, digesting.Written);
                    return (Digest: digest, Size: size, Members: gzip?.Members, Reused: gzip?.Reused ?? 0);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (unpacking is not null)
            {
                await unpacking.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }

            throw;
        }

        var unpacked = false;
        if (unpacking is not null)
        {
            try
            {
                unpacked = await unpacking.ConfigureAwait(false);
                Gantry.Oci.Diagnostics.PhaseTrace.Mark("layer: unpack awaited");
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                unpacked = false;
            }
        }

        return new LayerResult
        {
            UnpackedDirectory = unpacked ? unpackTo : null,
            DiffId = diffId,
            Digest = compressed.Digest,
            Size = compressed.Size,
            MediaType = options.MediaType,
            IsEmpty = entries == 0,
            UncompressedSize = uncompressed,
            Entries = entries,
            CompressedMembers = compressed.Members,
            ReusedMembers = compressed.Reused,
        };
    }

    private sealed class TeeStream(Stream first, Stream second) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            first.Write(buffer);
            second.Write(buffer);
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>Writes the layer to a temp file under <paramref name="tempDir"/>, then stores it through <paramref name="blobs"/>
    /// (verified there against the digest computed here). Empty layers are not stored.</summary>
    public static async Task<LayerResult> WriteToStoreAsync(IBlobWriter blobs, string tempDir, Func<Stream, Task<LayerResult>> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        Directory.CreateDirectory(tempDir);
        var temp = Path.Combine(tempDir, "layer-" + Guid.NewGuid().ToString("N"));
        try
        {
            LayerResult result;
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
            await using (file.ConfigureAwait(false))
            {
                result = await write(file).ConfigureAwait(false);
                if (result.IsEmpty)
                {
                    return result;
                }

                file.Position = 0;
                await blobs.WriteAsync(result.ToDescriptor(), file, cancellationToken).ConfigureAwait(false);
            }

            return result;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Applies the tar coming through <paramref name="pipe"/> to <paramref name="dir"/>; on any failure drains the pipe (so the
    /// writer never blocks) and returns false.</summary>
    private static bool Unpack(BoundedPipe pipe, string dir, SameFileLookup? sameFile)
    {
        try
        {
            Directory.CreateDirectory(dir);
            var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
            using var applier = new TarApplier(root, new ExtractOptions { Mode = ExtractMode.OverlayLower, Sync = false, Description = "new layer", SameFile = sameFile }, "new layer");
            var reader = new TarReader(pipe.Reader, "new layer");
            while (reader.Next() is { } header)
            {
                applier.Apply(header, reader);
            }

            reader.Drain();
            applier.Finish();
            return true;
        }
        catch (Exception) when (!pipe.Token.IsCancellationRequested)
        {
            try
            {
                pipe.Reader.CopyTo(Stream.Null);
            }
            catch (Exception)
            {
                // the producer failed too; its own error is what the caller sees
            }

            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>mtime in whole seconds, clamped to SOURCE_DATE_EPOCH when set.</summary>
    public static long Clamp(long seconds, LayerWriteOptions options)
    {
        if (options.SourceDateEpoch is { } epoch)
        {
            var max = epoch.ToUnixTimeSeconds();
            if (seconds > max)
            {
                return max;
            }
        }

        return seconds;
    }
}
