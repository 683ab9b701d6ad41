// Owns: `gantry build --progress tty|auto` under a pseudo-terminal (the Spectre.Console live view) and plain output when not on a terminal.
using System.Text.RegularExpressions;
using Gantry.TestKit;

namespace Gantry.Cli.Tests.Build;

public sealed partial class BuildProgressTtyTests : IDisposable
{
    private readonly TempDirectory _temp = new("gantry-build-tty");
    private GantryCli? _cli;

    private GantryCli Cli => _cli!;

    private string Context => _temp.Combine("ctx");

    private void Setup()
    {
        Requires.Root();
        Assert.SkipWhen(Requires.Which("crun") is null && Requires.Which("runc") is null, "needs crun or runc on PATH (apt-get install crun runc)");
        Assert.SkipWhen(Requires.Which("script") is null, "needs script(1) for a pseudo-terminal (apt-get install bsdutils)");
        _cli = new GantryCli(_temp.Combine("root"));
        Cli.Ok("import", BusyboxRootfs.Get().Tar, "busybox:latest");
        _temp.WriteFile("ctx/hello.txt", "hello\n");
        _temp.WriteFile("ctx/Dockerfile", """
            FROM busybox
            COPY hello.txt /hello.txt
            RUN echo step-output-line && cat /hello.txt > /copy.txt
            CMD ["cat", "/copy.txt"]
            """);
    }

    /// <summary>Runs gantry under script(1), so stdin/stdout/stderr are a terminal, and returns what the terminal showed.</summary>
    private ProcessResult UnderPty(params string[] args)
    {
        var command = string.Join(' ', new[] { GantryCli.Executable }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var env = new Dictionary<string, string?>(Cli.Environment) { ["TERM"] = "xterm-256color", ["COLUMNS"] = "160", ["LINES"] = "50" };
        return ProcessRunner.Run("script", ["-qfec", command, "/dev/null"], null, env, null, TimeSpan.FromMinutes(5));
    }

    [Fact]
    public void Tty_progress_shows_a_live_step_list_with_cached_marks_and_the_image_id()
    {
        Setup();
        var first = UnderPty("build", "--progress", "tty", "-t", "tty-image", Context);
        Assert.True(first.ExitCode == 0, first.ToString());
        var id = Cli.Ok("build", "-q", "-t", "tty-image", Context).Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", id);

        Assert.Contains("\u001b[", first.StdOut, StringComparison.Ordinal); // drawn with escape sequences
        var screen = Plain(first.StdOut);
        Assert.Contains("[+] Building", screen, StringComparison.Ordinal);
        Assert.Contains("[1/3] FROM busybox", screen, StringComparison.Ordinal);
        Assert.Contains("[2/3] COPY hello.txt /hello.txt", screen, StringComparison.Ordinal);
        Assert.Contains("[3/3] RUN echo step-output-line", screen, StringComparison.Ordinal);
        Assert.Contains(id, screen, StringComparison.Ordinal);

        // auto on a terminal is the live view too, and a rebuild marks steps CACHED.
        var again = UnderPty("build", "--progress", "auto", "-t", "tty-image", Context);
        Assert.True(again.ExitCode == 0, again.ToString());
        var cached = Plain(again.StdOut);
        Assert.Contains("[+] Building", cached, StringComparison.Ordinal);
        Assert.Matches(@"\[3/3\] RUN echo step-output-line[^\n]*CACHED", cached);
        Assert.Contains(id, cached, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_progress_off_a_terminal_and_plain_under_a_terminal_are_plain_lines()
    {
        Setup();
        var redirected = Cli.Run(["build", "-t", "plain-image", Context], null, null, TimeSpan.FromMinutes(5));
        Assert.True(redirected.ExitCode == 0, redirected.ToString());
        Assert.DoesNotContain("\u001b[", redirected.StdErr, StringComparison.Ordinal);
        Assert.Contains("#1 [1/3] FROM busybox", redirected.StdErr, StringComparison.Ordinal);
        Assert.Contains("step-output-line", redirected.StdErr, StringComparison.Ordinal);
        Assert.Matches(@"#\d+ DONE \d+\.\d+s", redirected.StdErr);

        var plain = UnderPty("build", "--progress", "plain", "-t", "plain-image", Context);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        // .NET's console switches the keypad mode once when stdin is a terminal ("ESC[?1h ESC="); the progress itself draws nothing.
        var drawn = plain.StdOut.Replace("\u001b[?1h\u001b=", string.Empty, StringComparison.Ordinal).Replace("\u001b[?1l\u001b>", string.Empty, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", drawn, StringComparison.Ordinal);
        Assert.DoesNotContain("[+] Building", plain.StdOut, StringComparison.Ordinal);
        Assert.Contains("#3 [3/3] RUN echo step-output-line && cat /hello.txt > /copy.txt", plain.StdOut, StringComparison.Ordinal);
        Assert.Contains("CACHED", plain.StdOut, StringComparison.Ordinal);
    }

    /// <summary>The text without ANSI escape sequences and carriage returns.</summary>
    private static string Plain(string terminal) => Ansi().Replace(terminal, string.Empty).Replace("\r", string.Empty, StringComparison.Ordinal);

    [GeneratedRegex(@"\u001b(\[[0-9;?]*[ -/]*[@-~]|\][^\u0007]*\u0007|[()][0-9A-Za-z]|[=>78])")]
    private static partial Regex Ansi();

    public void Dispose() => _temp.Dispose();
}
