// Owns: tests of the shell-word expander: every ${…} form, quotes, escapes, word splitting, errors.
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Tests.Shell;

public sealed class ShellWordExpanderTests
{
    private static readonly Dictionary<string, string> Env = new()
    {
        ["A"] = "apple",
        ["EMPTY"] = "",
        ["PATHV"] = "/usr/local/bin/tool.tar.gz",
        ["SP"] = "a b  c",
    };

    private static string X(string word, char escape = '\\') => new ShellWordExpander(escape).ProcessWord(word, Env);

    [Theory]
    [InlineData("$A", "apple")]
    [InlineData("${A}", "apple")]
    [InlineData("x$A-y", "xapple-y")]
    [InlineData("$NOPE", "")]
    [InlineData("$", "$")]
    [InlineData("$/x", "$/x")]
    [InlineData("${NOPE:-def}", "def")]
    [InlineData("${EMPTY:-def}", "def")]
    [InlineData("${EMPTY-def}", "")]
    [InlineData("${NOPE-def}", "def")]
    [InlineData("${A:-def}", "apple")]
    [InlineData("${A:+alt}", "alt")]
    [InlineData("${EMPTY:+alt}", "")]
    [InlineData("${EMPTY+alt}", "alt")]
    [InlineData("${NOPE+alt}", "")]
    [InlineData("${A:?must}", "apple")]
    [InlineData("${PATHV#*/}", "usr/local/bin/tool.tar.gz")]
    [InlineData("${PATHV##*/}", "tool.tar.gz")]
    [InlineData("${PATHV%.*}", "/usr/local/bin/tool.tar")]
    [InlineData("${PATHV%%.*}", "/usr/local/bin/tool")]
    [InlineData("${A/p/P}", "aPple")]
    [InlineData("${A//p/P}", "aPPle")]
    [InlineData("${A/p}", "aple")]
    [InlineData("${A/[ae]/_}", "_pple")]
    [InlineData("${A:-$EMPTY}", "apple")]
    [InlineData("${NOPE:-${A}s}", "apples")]
    [InlineData("'$A'", "$A")]
    [InlineData("\"$A\"", "apple")]
    [InlineData("\"it's\"", "it's")]
    [InlineData("\\$A", "$A")]
    [InlineData("\"\\$A\"", "$A")]
    [InlineData("\"a\\b\"", "a\\b")]
    [InlineData("a\\ b", "a b")]
    [InlineData("\"\"", "")]
    [InlineData("trailing\\", "trailing")]
    public void Expands_like_buildkit(string word, string expected) => Assert.Equal(expected, X(word));

    [Fact]
    public void Backtick_escape()
    {
        Assert.Equal("$A", X("`$A", '`'));
        Assert.Equal("c:\\dir", X("c:\\dir", '`'));
    }

    [Fact]
    public void ProcessWords_splits_on_unquoted_blanks_after_expansion()
    {
        var e = new ShellWordExpander();
        Assert.Equal(["a", "b", "c", "d e"], e.ProcessWords("$SP 'd e'", Env));
        Assert.Equal(["a b  c"], e.ProcessWords("\"$SP\"", Env));
        Assert.Equal(["80/tcp", "443"], e.ProcessWords("80/tcp  443", Env));
    }

    [Fact]
    public void Reports_unmatched_variables_without_defaults()
    {
        var r = new ShellWordExpander().ProcessWordWithMatches("$A $B ${C:-x} ${D}", Env);
        Assert.Equal(new HashSet<string> { "A" }, r.Matched.ToHashSet());
        Assert.Equal(new HashSet<string> { "B", "D" }, r.Unmatched.ToHashSet());
    }

    [Fact]
    public void SkipUnsetEnv_leaves_references_as_written()
    {
        var e = new ShellWordExpander { SkipUnsetEnv = true };
        Assert.Equal("apple $B ${C} ${D:-x}", e.ProcessWord("$A $B ${C} ${D:-x}", Env));
    }

    [Theory]
    [InlineData("${NOPE:?is required}", "NOPE: is required")]
    [InlineData("${NOPE?}", "NOPE: is not allowed to be unset")]
    [InlineData("${EMPTY:?}", "EMPTY: is not allowed to be empty")]
    [InlineData("${A", "missing '}'")]
    [InlineData("${}", "bad substitution")]
    [InlineData("${:a}", "bad substitution")]
    [InlineData("${A:#x}", "unsupported modifier (:#)")]
    [InlineData("${A!x}", "unsupported modifier (!)")]
    [InlineData("'open", "matching single-quote")]
    [InlineData("\"open", "matching double-quote")]
    public void Errors_are_DockerfileExceptions(string word, string message)
    {
        var ex = Assert.Throws<DockerfileException>(() => X(word));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, ex.StartLine);
    }

    [Fact]
    public void Bound_expander_uses_its_environment()
    {
        var bound = new ShellWordExpander().WithEnvironment(Env);
        Assert.Equal("apple", bound.ExpandWord("$A"));
        Assert.Equal(["a", "b", "c"], bound.ExpandWords("$SP"));
    }
}
