// Owns: the live view's line layout (a step's state is never wrapped or cut, titles are cut to the terminal's width).
using Gantry.Cli.BuildSupport;

namespace Gantry.Cli.Tests.BuildSupport;

public sealed class TtyBuildProgressTests
{
    [Theory]
    [InlineData(80)]
    [InlineData(40)]
    [InlineData(20)]
    public void A_long_title_is_cut_and_the_state_ends_the_line_whole(int width)
    {
        var line = TtyBuildProgress.StepLine(" => #3 [3/3] RUN echo step-output-line && cat /hello.txt > /copy.txt && more words", "CACHED", width);
        Assert.EndsWith(" CACHED", line, StringComparison.Ordinal);
        Assert.True(line.Length < width, $"{line.Length} columns at width {width}: '{line}'");
        Assert.Contains("…", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_short_title_is_padded_so_states_line_up()
    {
        var a = TtyBuildProgress.StepLine(" => #1 FROM busybox", "0.1s", 60);
        var b = TtyBuildProgress.StepLine(" => #2 COPY a b", "CACHED", 60);
        Assert.Equal(a.Length, b.Length);
        Assert.StartsWith(" => #1 FROM busybox ", a, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_characters_in_output_cannot_move_the_cursor()
    {
        Assert.Equal(" => > a b", TtyBuildProgress.Fit(" => > a\u001bb", 80));
    }
}
