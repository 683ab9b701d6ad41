// Owns: tests of the build checks: each rule fires with its line, check directives, errors collected per instruction.
using Gantry.Dockerfile.Checks;

namespace Gantry.Dockerfile.Tests.Checks;

public sealed class DockerfileCheckerTests
{
    private static IReadOnlyList<CheckFinding> Check(string text) => DockerfileChecker.Check(text, "Dockerfile");

    private static CheckFinding One(string text, string rule)
    {
        var found = Check(text).Where(f => f.Rule == rule).ToList();
        return Assert.Single(found);
    }

    [Theory]
    [InlineData("FROM a\nCMD node app.js", "JSONArgsRecommended", 2)]
    [InlineData("FROM a\nENTRYPOINT node", "JSONArgsRecommended", 2)]
    [InlineData("FROM a as b", "FromAsCasing", 1)]
    [InlineData("from a AS b", "FromAsCasing", 1)]
    [InlineData("FROM a AS Build", "StageNameCasing", 1)]
    [InlineData("FROM a AS b\nFROM c AS b", "DuplicateStageName", 2)]
    [InlineData("FROM a\nENV X=$UNDEFINED", "UndefinedVar", 2)]
    [InlineData("FROM alpine:$VERSION", "UndefinedArgInFrom", 1)]
    [InlineData("FROM a\nCMD [\"a\"]\nCMD [\"b\"]", "MultipleInstructionsDisallowed", 2)]
    [InlineData("FROM a\nENV A b", "LegacyKeyValueFormat", 2)]
    [InlineData("FROM a\nLABEL A b", "LegacyKeyValueFormat", 2)]
    [InlineData("FROM a\nWORKDIR app", "WorkdirRelativePath", 2)]
    [InlineData("FROM a\nMAINTAINER me", "MaintainerDeprecated", 2)]
    [InlineData("FROM a\nrun x\nRUN y\nRUN z", "ConsistentInstructionCasing", 2)]
    [InlineData("FROM a\nARG API_KEY", "SecretsUsedInArgOrEnv", 2)]
    [InlineData("FROM a\nENV DB_PASSWORD=x", "SecretsUsedInArgOrEnv", 2)]
    [InlineData("FROM a AS scratch", "ReservedStageName", 1)]
    [InlineData("FROM --platform=linux/amd64 a", "FromPlatformFlagConstDisallowed", 1)]
    [InlineData("FROM --platform=$TARGETPLATFORM a", "RedundantTargetPlatform", 1)]
    [InlineData("FROM a\nEXPOSE 80/TCP", "ExposeProtoCasing", 2)]
    [InlineData("FROM a\nEXPOSE 127.0.0.1:80:80", "ExposeInvalidFormat", 2)]
    [InlineData("FROM a\nRUN a \\\n\n b", "NoEmptyContinuation", 2)]
    public void Rule_fires_at_its_line(string text, string rule, int line) =>
        Assert.Equal(line, One(text, rule).Range.StartLine);

    [Fact]
    public void Clean_dockerfile_has_no_findings()
    {
        Assert.Empty(Check("ARG BASE=alpine\nFROM $BASE AS build\nARG NAME\nENV HOME_DIR=/app\nWORKDIR $HOME_DIR\nCOPY . .\nRUN make\nFROM build\nCMD [\"app\"]\n"));
    }

    [Fact]
    public void Public_key_is_not_a_secret() =>
        Assert.DoesNotContain(Check("FROM a\nARG PUBLIC_KEY"), f => f.Rule == "SecretsUsedInArgOrEnv");

    [Fact]
    public void Defaults_do_not_count_as_undefined() =>
        Assert.DoesNotContain(Check("FROM a\nENV X=${UNSET:-d}"), f => f.Rule == "UndefinedVar");

    [Fact]
    public void Json_args_not_recommended_after_shell() =>
        Assert.DoesNotContain(Check("FROM a\nSHELL [\"/bin/bash\", \"-c\"]\nCMD x"), f => f.Rule == "JSONArgsRecommended");

    [Fact]
    public void Check_directive_skips_rules_and_turns_warnings_into_errors()
    {
        Assert.Empty(Check("# check=skip=JSONArgsRecommended,MaintainerDeprecated\nFROM a\nMAINTAINER me\nCMD x"));
        Assert.Empty(Check("# check=skip=all\nFROM a\nMAINTAINER me"));
        var f = One("# check=error=true\nFROM a\nMAINTAINER me", "MaintainerDeprecated");
        Assert.Equal(CheckSeverity.Error, f.Severity);
    }

    [Fact]
    public void Every_invalid_instruction_is_an_error()
    {
        var findings = Check("FROM a\nCOPY x\nRUNN y\nFROM b c\n").Where(f => f.Severity == CheckSeverity.Error).ToList();
        Assert.Equal([2, 3, 4], findings.Select(f => f.Range.StartLine));
        Assert.All(findings, f => Assert.Equal("Syntax", f.Rule));
    }

    [Fact]
    public void Quoted_copy_source_that_cannot_be_expanded_is_an_error()
    {
        var f = One("FROM a\nCOPY \"app.js package.json\" \"./\"", "Syntax");
        Assert.Equal(CheckSeverity.Error, f.Severity);
        Assert.Contains("matching double-quote", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finding_formats_with_file_line_and_rule()
    {
        var f = One("FROM a\nMAINTAINER me", "MaintainerDeprecated");
        Assert.Equal("Dockerfile:2: warning: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label", f.Format("Dockerfile"));
        Assert.Equal("https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/", f.Url);
        Assert.Equal("https://docs.docker.com/go/dockerfile/rule/json-args-recommended/", One("FROM a\nCMD x", "JSONArgsRecommended").Url);
    }

    [Fact]
    public void Unparseable_file_throws()
    {
        Assert.Throws<DockerfileException>(() => Check(""));
    }
}
