// Owns: undoing an inherited "ignore SIGINT" at start-up, so `kill -INT` stops a gantry started in the background.
using System.Runtime.InteropServices;

namespace Gantry.Cli;

/// <summary>
/// A shell without job control starts background commands (`gantry registry serve &amp;` in a script, a CI runner's
/// steps) with SIGINT ignored, and .NET keeps an ignored signal ignored: a <see cref="PosixSignalRegistration"/> for
/// it never fires. docker and podman (Go's signal.Notify) take SIGINT back in that case, and so does gantry, which
/// stops a build, a registry or a container on `kill -INT` wherever it was started. Must run before anything in the
/// process initializes .NET's signal handling (Console, Process, PosixSignalRegistration), which records the signal
/// as ignored for good.
/// </summary>
internal static unsafe partial class InterruptSignal
{
    private const int SigInt = 2;
    private const nint SigIgn = 1;
    private const int SaSigInfo = 4;

    // struct sigaction on Linux glibc (x86_64 and arm64): handler (8), sa_mask (128), sa_flags (int), sa_restorer (8):
    // 152 bytes. The buffer is larger than that on purpose.
    private const int HandlerOffset = 0;
    private const int FlagsOffset = 8 + 128;
    private const int BufferSize = 256;

    /// <summary>Sets SIGINT back to its default action when the process was started with it ignored; else does nothing.</summary>
    public static void TakeBackIfIgnored()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var current = stackalloc byte[BufferSize];
        new Span<byte>(current, BufferSize).Clear();
        if (SigAction(SigInt, null, current) != 0)
        {
            return;
        }

        var handler = *(nint*)(current + HandlerOffset);
        var flags = *(int*)(current + FlagsOffset);
        if (handler != SigIgn || (flags & SaSigInfo) != 0)
        {
            return;
        }

        var defaults = stackalloc byte[BufferSize];
        new Span<byte>(defaults, BufferSize).Clear(); // SIG_DFL, empty mask, no flags
        _ = SigAction(SigInt, defaults, null);
    }

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static partial int SigAction(int signum, byte* act, byte* oldact);
}
