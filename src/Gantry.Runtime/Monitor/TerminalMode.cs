// Owns: the attaching terminal's raw mode and size (for `gantry attach` / `start -a` to a -t container).
namespace Gantry.Runtime.Monitor;

/// <summary>Raw mode for a terminal fd for as long as the instance lives; the previous settings come back at dispose.</summary>
public sealed class TerminalMode : IDisposable
{
    private readonly int fd;
    private byte[]? saved;

    private TerminalMode(int fd, byte[] saved)
    {
        this.fd = fd;
        this.saved = saved;
    }

    /// <summary>True when <paramref name="fd"/> is a terminal.</summary>
    public static bool IsTerminal(int fd) => MonitorNative.IsATty(fd) == 1;

    /// <summary>Puts <paramref name="fd"/> in raw mode; null when it is not a terminal.</summary>
    public static TerminalMode? MakeRaw(int fd)
    {
        var saved = MonitorNative.MakeRaw(fd);
        return saved is null ? null : new TerminalMode(fd, saved);
    }

    /// <summary>The size (rows, cols) of terminal <paramref name="fd"/>, or null.</summary>
    public static (ushort Rows, ushort Cols)? Size(int fd) => MonitorNative.GetSize(fd);

    public void Dispose()
    {
        if (saved is not null)
        {
            MonitorNative.Restore(fd, saved);
            saved = null;
        }
    }
}
