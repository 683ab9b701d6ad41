// Owns: the worker threads that create and finish small files for TarApplier, one queue per parent directory.
using Gantry.Snapshots.Native;

namespace Gantry.Snapshots;

internal sealed unsafe partial class TarApplier
{
    /// <summary>A small file for a worker: <c>Fd</c> already open (created here), or -1 for the worker to create <c>Path</c>
    /// (or, with <c>SameFileRel</c>, to hard-link the file <see cref="ExtractOptions.SameFile"/> gives for that path).</summary>
    private readonly record struct FileJob(int Fd, string Path, uint CreateMode, byte[] Buffer, int Length, string Name, int Uid, int Gid, int Mode, long Sec, int Nsec, SortedDictionary<string, byte[]>? Xattrs, string? SameFileRel = null);

    /// <summary>
    /// A few threads finishing small files. Files go to a worker by their directory, so two workers never create in the
    /// same directory at once (they would only spin on its lock), and are handed over in batches (one hand-off per
    /// <see cref="BatchFiles"/> files or <see cref="BatchBytes"/> bytes, so threads rarely wake each other). The first error
    /// is rethrown by <see cref="Complete"/>, <see cref="Drain"/> or the next enqueue.
    /// </summary>
    private sealed class FileWorkers
    {
        private const int BatchFiles = 32;
        private const int BatchBytes = 1024 * 1024;
        private readonly System.Collections.Concurrent.BlockingCollection<List<FileJob>>[] _queues;
        private readonly List<FileJob>[] _pending;
        private readonly long[] _pendingBytes;
        private readonly Thread[] _threads;
        private readonly TarApplier _owner;
        private readonly object _idle = new(); // Monitor.Wait/PulseAll need a monitor, not a System.Threading.Lock
        private int _outstanding;
        private Exception? _error;
        private bool _completed;

        public FileWorkers(TarApplier owner, int count)
        {
            _owner = owner;
            _queues = new System.Collections.Concurrent.BlockingCollection<List<FileJob>>[count];
            _pending = new List<FileJob>[count];
            _pendingBytes = new long[count];
            _threads = new Thread[count];
            for (var i = 0; i < count; i++)
            {
                _queues[i] = new(16);
                _pending[i] = new(BatchFiles);
                var queue = _queues[i];
                _threads[i] = new Thread(() => Run(queue)) { IsBackground = true, Name = "gantry-unpack" };
                _threads[i].Start();
            }
        }

        public void Enqueue(FileJob job)
        {
            if (Volatile.Read(ref _error) is { } error)
            {
                Finish(job);
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }

            var path = job.Path.AsSpan();
            var dir = path[..Math.Max(path.LastIndexOf('/'), 0)];
            var worker = (int)((uint)string.GetHashCode(dir) % (uint)_queues.Length);
            _pending[worker].Add(job);
            _pendingBytes[worker] += job.Length;
            if (_pending[worker].Count >= BatchFiles || _pendingBytes[worker] >= BatchBytes)
            {
                Flush(worker);
            }
        }

        /// <summary>Hands over the pending batches and waits until every file handed over so far is finished.</summary>
        public void Drain()
        {
            FlushAll();
            lock (_idle)
            {
                while (_outstanding > 0)
                {
                    Monitor.Wait(_idle);
                }
            }

            if (Volatile.Read(ref _error) is { } error)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }
        }

        public void Complete(bool rethrow)
        {
            if (!_completed)
            {
                try
                {
                    FlushAll();
                }
                finally
                {
                    _completed = true;
                    foreach (var q in _queues)
                    {
                        q.CompleteAdding();
                    }

                    foreach (var t in _threads)
                    {
                        t.Join();
                    }

                    foreach (var q in _queues)
                    {
                        q.Dispose();
                    }
                }
            }

            if (rethrow && _error is { } error)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }
        }

        private void FlushAll()
        {
            for (var i = 0; i < _queues.Length; i++)
            {
                Flush(i);
            }
        }

        private void Flush(int worker)
        {
            if (_completed || _pending[worker].Count == 0)
            {
                return;
            }

            var batch = _pending[worker];
            _pending[worker] = new List<FileJob>(BatchFiles);
            _pendingBytes[worker] = 0;
            lock (_idle)
            {
                _outstanding += batch.Count;
            }

            _queues[worker].Add(batch);
        }

        private void Run(System.Collections.Concurrent.BlockingCollection<List<FileJob>> queue)
        {
            foreach (var batch in queue.GetConsumingEnumerable())
            {
                foreach (var job in batch)
                {
                    try
                    {
                        if (Volatile.Read(ref _error) is null)
                        {
                            _owner.CompleteFile(job);
                        }
                    }
                    catch (Exception ex)
                    {
                        Interlocked.CompareExchange(ref _error, ex, null);
                    }
                    finally
                    {
                        Finish(job);
                    }
                }

                lock (_idle)
                {
                    _outstanding -= batch.Count;
                    if (_outstanding == 0)
                    {
                        Monitor.PulseAll(_idle);
                    }
                }
            }
        }

        private static void Finish(in FileJob job)
        {
            if (job.Fd >= 0)
            {
                Libc.Close(job.Fd);
            }

            System.Buffers.ArrayPool<byte>.Shared.Return(job.Buffer);
        }
    }
}
