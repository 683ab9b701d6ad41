// Owns: tests of the parser's rules: directives, comments, continuations, heredocs, flags, exec vs shell form, errors.
using Gantry.Dockerfile.Syntax;

namespace Gantry.Dockerfile.Tests.Syntax;

public sealed class DockerfileParserTests
{
    private static string Dump(string text) => DockerfileParser.Parse(text).Dump();

    [Theory]
    [InlineData("FROM busybox\nRUN echo hi", "(from \"busybox\")\n(run \"echo hi\")")]
    [InlineData("from busybox AS Build", "(from \"busybox\" \"AS\" \"Build\")")]
    [InlineData("CMD [\"a\", \"b c\"]", "(cmd \"a\" \"b c\")")]
    [InlineData("CMD []", "(cmd)")]
    [InlineData("CMD ['a']", "(cmd \"['a']\")")]
    [InlineData("COPY [\"a b\", \"/c\"]", "(copy \"a b\" \"/c\")")]
    [InlineData("COPY --chown=me:me a  b\t/c/", "(copy [\"--chown=me:me\"] \"a\" \"b\" \"/c/\")")]
    [InlineData("COPY --from=\"build stage\" a /", "(copy [\"--from=build stage\"] \"a\" \"/\")")]
    [InlineData("ENV a=1 b=\"2 3\"", "(env \"a\" \"1\" \"=\" \"b\" \"\\\"2 3\\\"\" \"=\")")]
    [InlineData("ENV PATH /usr/bin:$PATH", "(env \"PATH\" \"/usr/bin:$PATH\" \"\")")]
    [InlineData("LABEL a=b", "(label \"a\" \"b\" \"=\")")]
    [InlineData("ARG v=\"x y\" w", "(arg \"v=\\\"x y\\\"\" \"w\")")]
    [InlineData("HEALTHCHECK --interval=5s CMD curl -f http://x/", "(healthcheck [\"--interval=5s\"] \"CMD\" \"curl -f http://x/\")")]
    [InlineData("HEALTHCHECK NONE", "(healthcheck \"NONE\")")]
    [InlineData("ONBUILD RUN echo x", "(onbuild (run \"echo x\"))")]
    [InlineData("ONBUILD COPY --from=a x /", "(onbuild (copy [\"--from=a\"] \"x\" \"/\"))")]
    [InlineData("FOO bar", "(foo \"\")")]
    [InlineData("RUN echo \"\\u2665 ♥\"", "(run \"echo \\\"\\\\u2665 ♥\\\"\")")]
    [InlineData("CMD [\"\\u0000\"]", "(cmd \"\\x00\")")]
    [InlineData("SHELL [\"/bin/bash\", \"-c\"]", "(shell \"/bin/bash\" \"-c\")")]
    [InlineData("STOPSIGNAL SIGKILL", "(stopsignal \"SIGKILL\")")]
    public void Dumps_like_buildkit(string dockerfile, string expected) => Assert.Equal(expected, Dump(dockerfile));

    [Fact]
    public void Continuation_joins_lines_skipping_comments_and_blank_lines()
    {
        var ast = DockerfileParser.Parse("FROM a\nRUN echo 1 \\\n# comment\n\n    && echo 2\nRUN x");
        Assert.Equal("(from \"a\")\n(run \"echo 1     && echo 2\")\n(run \"x\")", ast.Dump());
        Assert.Equal(new SourceRange(2, 5), ast.Instructions[1].Range);
        Assert.Single(ast.Warnings);
    }

    [Fact]
    public void Continuation_at_end_of_file_ends_the_instruction()
    {
        Assert.Equal("(from \"a\")\n(run \"echo\")", Dump("FROM a\nRUN echo \\"));
    }

    [Fact]
    public void Double_escape_at_end_of_line_is_not_a_continuation()
    {
        Assert.Equal("(from \"a\")\n(run \"echo \\\\\\\\\")\n(run \"x\")", Dump("FROM a\nRUN echo \\\\\nRUN x"));
    }

    [Fact]
    public void Escape_directive_with_backtick()
    {
        var ast = DockerfileParser.Parse("# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo x");
        Assert.Equal('`', ast.EscapeToken);
        Assert.Equal("(from \"a\")\n(run \"dir c:\\\\   && echo x\")", ast.Dump());
        Assert.Equal("`", ast.Directive("escape"));
    }

    [Fact]
    public void Directives_after_a_comment_or_instruction_are_comments()
    {
        var ast = DockerfileParser.Parse("# hello\n# escape=`\nFROM a");
        Assert.Equal('\\', ast.EscapeToken);
        Assert.Empty(ast.Directives);
    }

    [Fact]
    public void Syntax_and_check_directives_are_read()
    {
        var ast = DockerfileParser.Parse("# syntax=docker/dockerfile:1\n# check=skip=JSONArgsRecommended\nFROM a");
        Assert.Equal("docker/dockerfile:1", ast.Directive("syntax"));
        Assert.Equal("skip=JSONArgsRecommended", ast.Directive("check"));
    }

    [Fact]
    public void Repeated_directive_is_an_error_with_its_line()
    {
        var ex = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("# escape=`\n# escape=\\\nFROM a"));
        Assert.Equal(2, ex.StartLine);
        Assert.Contains("only one escape parser directive", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_escape_token_is_an_error()
    {
        var ex = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("# escape=x\nFROM a"));
        Assert.Equal("Dockerfile:1: invalid escape token 'x' does not match ` or \\", ex.Message);
    }

    [Fact]
    public void Flags_end_at_double_dash_and_are_unquoted()
    {
        var node = DockerfileParser.Parse("COPY --a='x y' -- --b c").Instructions[0];
        Assert.Equal(["--a=x y"], node.Flags);
        Assert.Equal(["--b", "c"], node.Args);
    }

    [Fact]
    public void Heredoc_bodies_are_consumed_and_attached()
    {
        var ast = DockerfileParser.Parse("FROM a\nRUN <<EOF\necho $HOME\nEOF\nCOPY <<-\"A\" <<B /dst/\n\tone\n\tA\ntwo\nB\nRUN x");
        Assert.Equal("(from \"a\")\n(run \"<<EOF\")\n(copy \"<<-\\\"A\\\"\" \"<<B\" \"/dst/\")\n(run \"x\")", ast.Dump());
        var run = ast.Instructions[1];
        Assert.Equal(new SourceRange(2, 4), run.Range);
        var h = Assert.Single(run.Heredocs);
        Assert.Equal(new Heredoc("EOF", 0, true, false, "echo $HOME\n"), h);
        var copy = ast.Instructions[2];
        Assert.Equal(2, copy.Heredocs.Count);
        Assert.Equal("A", copy.Heredocs[0].Name);
        Assert.False(copy.Heredocs[0].Expand);
        Assert.True(copy.Heredocs[0].Chomp);
        Assert.Equal("one\n", copy.Heredocs[0].ChompedContent);
        Assert.Equal("two\n", copy.Heredocs[1].Content);
        Assert.Equal(new SourceRange(5, 9), copy.Range);
    }

    [Fact]
    public void Heredoc_with_file_descriptor_and_exec_form_is_not_a_heredoc()
    {
        var ast = DockerfileParser.Parse("FROM a\nRUN 3<<EOF cat /proc/self/fd/3\nhi\nEOF\nRUN [\"<<EOF\"]");
        Assert.Equal(3, ast.Instructions[1].Heredocs[0].FileDescriptor);
        Assert.Empty(ast.Instructions[2].Heredocs);
    }

    [Fact]
    public void Unterminated_heredoc_is_an_error_at_its_line()
    {
        var ex = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM a\nRUN <<EOF\necho hi\n"));
        Assert.Equal(2, ex.StartLine);
        Assert.Contains("unterminated heredoc", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["RUN <<EOF"], ex.SourceLines);
        Assert.Contains(">>> RUN <<EOF", ex.ToDisplayString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \n")]
    [InlineData("# only\n# comments\n")]
    public void Empty_dockerfile_is_an_error(string text)
    {
        var ex = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse(text, "app.Dockerfile"));
        Assert.StartsWith("app.Dockerfile", ex.Message, StringComparison.Ordinal);
        Assert.Contains("file with no instructions", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nested_json_is_an_error()
    {
        var ex = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM a\nCMD [\"echo\", [\"x\"]]"));
        Assert.Equal(2, ex.StartLine);
        Assert.Contains("arrays must be comprised of strings only", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CMD [\"a\", 1]")]
    [InlineData("RUN [true]")]
    [InlineData("COPY [null, \"/\"]")]
    public void Json_array_with_non_strings_is_an_error(string line) =>
        Assert.Throws<DockerfileException>(() => DockerfileParser.Parse(line));

    [Theory]
    [InlineData("CMD [\"a\"", "[\"a\"")]
    [InlineData("CMD [\"a\",]", "[\"a\",]")]
    [InlineData("CMD {\"a\": 1}", "{\"a\": 1}")]
    public void Invalid_json_falls_back_to_shell_form(string line, string expected)
    {
        var node = DockerfileParser.Parse(line).Instructions[0];
        Assert.False(node.IsJson);
        Assert.Equal([expected], node.Args);
    }

    [Fact]
    public void Env_without_value_is_an_error()
    {
        var ex = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM a\nENV PATH"));
        Assert.Equal(2, ex.StartLine);
        Assert.Contains("ENV must have two arguments", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Env_mixing_forms_is_an_error()
    {
        var ex = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("ENV a=1 b"));
        Assert.Contains("can't find = in \"b\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Crlf_and_bom_are_handled()
    {
        Assert.Equal("(from \"a\")\n(run \"x  y\")", Dump("\uFEFFFROM a\r\nRUN x \\\r\n y\r\n"));
    }

    [Fact]
    public void Comments_before_an_instruction_are_kept_on_it()
    {
        var node = DockerfileParser.Parse("FROM a\n# install tools\nRUN x").Instructions[1];
        Assert.Equal(["install tools"], node.Comments);
    }

    [Fact]
    public void Keyword_casing_is_kept_and_name_is_lower_case()
    {
        var node = DockerfileParser.Parse("From a").Instructions[0];
        Assert.Equal("From", node.Keyword);
        Assert.Equal("from", node.Name);
    }
}
