// Owns: running BuildKit's parser conformance corpus (shared/corpus) against the parser: dumps, negatives, line ranges.
using Gantry.Dockerfile.Syntax;
using Gantry.TestKit;

namespace Gantry.Dockerfile.Tests.Syntax;

public sealed class CorpusTests
{
    private static string? CorpusDir => RepoLayout.Shared is { } s && Directory.Exists(Path.Combine(s, "corpus")) ? Path.Combine(s, "corpus") : null;

    public static TheoryData<string> PositiveCases() => Cases("buildkit-parser-testfiles");

    public static TheoryData<string> NegativeCases() => Cases("buildkit-parser-testfiles-negative");

    private static TheoryData<string> Cases(string folder)
    {
        var data = new TheoryData<string>();
        if (CorpusDir is { } dir && Directory.Exists(Path.Combine(dir, folder)))
        {
            foreach (var d in Directory.GetDirectories(Path.Combine(dir, folder)).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(d));
            }
        }

        if (data.Count == 0)
        {
            data.Add("(corpus absent)");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PositiveCases))]
    public void Positive_case_dump_equals_result_byte_for_byte(string name)
    {
        Assert.SkipWhen(CorpusDir is null, "shared/corpus is not beside the repository");
        var caseDir = Path.Combine(CorpusDir!, "buildkit-parser-testfiles", name);
        var dockerfile = ReadUtf8(Path.Combine(caseDir, "Dockerfile"));
        var expected = ReadUtf8(Path.Combine(caseDir, "result")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var ast = DockerfileParser.Parse(dockerfile, "Dockerfile");
        Assert.Equal(expected, ast.Dump() + "\n");
    }

    [Theory]
    [MemberData(nameof(NegativeCases))]
    public void Negative_case_fails_with_DockerfileException(string name)
    {
        Assert.SkipWhen(CorpusDir is null, "shared/corpus is not beside the repository");
        var text = ReadUtf8(Path.Combine(CorpusDir!, "buildkit-parser-testfiles-negative", name, "Dockerfile"));
        var ex = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse(text, "Dockerfile"));
        Assert.StartsWith("Dockerfile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corpus_has_all_upstream_cases_when_present()
    {
        Assert.SkipWhen(CorpusDir is null, "shared/corpus is not beside the repository");
        Assert.Equal(33, PositiveCases().Count);
        Assert.Equal(4, NegativeCases().Count);
    }

    [Fact]
    public void Line_case_has_buildkits_line_ranges()
    {
        Assert.SkipWhen(CorpusDir is null, "shared/corpus is not beside the repository");
        var text = ReadUtf8(Path.Combine(CorpusDir!, "buildkit-parser-testfile-line", "Dockerfile"));
        var ast = DockerfileParser.Parse(text, "Dockerfile");
        Assert.Equal(new SourceRange(5, 31), ast.Range);
        Assert.Equal(
            [new SourceRange(5, 5), new SourceRange(11, 12), new SourceRange(17, 31)],
            ast.Instructions.Select(i => i.Range).ToArray());
    }

    private static string ReadUtf8(string path) => new System.Text.UTF8Encoding(false, false).GetString(File.ReadAllBytes(path));
}
