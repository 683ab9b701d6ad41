// Owns: property tests (FsCheck) proving no input crashes the parser, typed layer, checker or expander: only DockerfileException.
using FsCheck;
using FsCheck.Fluent;
using Gantry.Dockerfile.Checks;
using Gantry.Dockerfile.Instructions;
using Gantry.Dockerfile.Shell;
using Gantry.Dockerfile.Syntax;

namespace Gantry.Dockerfile.Tests.Syntax;

public sealed class FuzzTests
{
    private static readonly string[] Fragments =
    [
        "FROM ", "from ", "RUN ", "CMD ", "ENTRYPOINT ", "COPY ", "ADD ", "ENV ", "LABEL ", "ARG ", "EXPOSE ", "VOLUME ",
        "USER ", "WORKDIR ", "ONBUILD ", "STOPSIGNAL ", "HEALTHCHECK ", "SHELL ", "MAINTAINER ", "AS ", "NONE ", "FOO ",
        "--mount=type=cache,target=/x ", "--mount=", "--from=", "--chown=", "--link ", "--interval=", "--platform=", "-- ",
        "[", "]", "\"", "'", ",", "=", "$", "${", "}", ":-", ":+", ":?", "#", "##", "%", "%%", "/", "//", "\\", "`", "<<", "<<-",
        "EOF", "\n", "\r\n", " ", "\t", "# escape=`\n", "# syntax=x\n", "# check=error=true\n", "a", "1", "\u00e9", "\u2665", "\0",
        "[\"a\", \"b\"]", "[1]", "[\"x\", [\"y\"]]", "\uFEFF", "\\\n", "`\n",
    ];

    private static Gen<string> DockerfileLike() =>
        Gen.Elements(Fragments).ListOf().Select(parts => string.Concat(parts));

    private static Gen<string> AnyText() =>
        Gen.OneOf(DockerfileLike(), ArbMap.Default.GeneratorFor<string>().Where(s => s is not null));

    private static bool OnlyDockerfileExceptions(Action action)
    {
        try
        {
            action();
        }
        catch (DockerfileException)
        {
        }

        return true;
    }

    [Fact]
    public void Parser_typed_layer_and_checker_never_crash()
    {
        Prop.ForAll(AnyText().ToArbitrary(), text => OnlyDockerfileExceptions(() =>
        {
            var ast = DockerfileParser.Parse(text, "Dockerfile");
            _ = ast.Dump();
            try
            {
                _ = DockerfileModel.Parse(text, "Dockerfile");
            }
            catch (DockerfileException)
            {
            }

            _ = DockerfileChecker.Check(ast);
        })).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Expander_never_crashes()
    {
        var env = new Dictionary<string, string> { ["a"] = "x y", ["EMPTY"] = "", ["P"] = "/a/b.c" };
        Prop.ForAll(AnyText().ToArbitrary(), Gen.Elements('\\', '`').ToArbitrary(), (word, escape) => OnlyDockerfileExceptions(() =>
        {
            var e = new ShellWordExpander(escape);
            _ = e.ProcessWord(word, env);
            _ = e.ProcessWords(word, env);
            _ = new ShellWordExpander(escape) { SkipUnsetEnv = true, RawQuotes = true, RawEscapes = true }.ProcessWordWithMatches(word, env);
        })).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Expanding_every_instruction_never_crashes()
    {
        var env = new ShellWordExpander().WithEnvironment(new Dictionary<string, string> { ["a"] = "1" });
        Prop.ForAll(DockerfileLike().ToArbitrary(), text => OnlyDockerfileExceptions(() =>
        {
            var model = DockerfileModel.Parse("FROM a\n" + text, "Dockerfile");
            foreach (var stage in model.Stages)
            {
                stage.From.Expand(env);
                foreach (var i in stage.Instructions)
                {
                    i.Expand(env);
                }
            }
        })).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Dockerignore_never_crashes()
    {
        Prop.ForAll(AnyText().ToArbitrary(), AnyText().ToArbitrary(), (patterns, path) => OnlyDockerfileExceptions(() =>
        {
            var ig = Gantry.Dockerfile.Ignore.DockerIgnore.Parse(patterns);
            _ = ig.IsExcluded(path);
        })).QuickCheckThrowOnFailure();
    }
}
