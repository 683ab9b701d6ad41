// Owns: `gantry dockerfile ast FILE|-` (BuildKit's AST dump) and `gantry dockerfile check FILE` (build checks).
using System.CommandLine;
using System.Text;
using Gantry.Dockerfile;
using Gantry.Dockerfile.Checks;
using Gantry.Dockerfile.Syntax;

namespace Gantry.Cli.Commands;

internal static class DockerfileCommand
{
    public static Command Create()
    {
        var command = new Command("dockerfile", "Inspect Dockerfiles: print the parse tree or run the build checks");
        command.Subcommands.Add(CreateAst());
        command.Subcommands.Add(CreateCheck());
        return command;
    }

    private static Command CreateAst()
    {
        var file = new Argument<string>("FILE") { Description = "The Dockerfile to parse, or - for standard input" };
        var command = new Command("ast", "Print the Dockerfile's parse tree in BuildKit's AST dump format, one instruction per line");
        command.Arguments.Add(file);
        command.SetAction(async (parseResult, ct) =>
        {
            var path = parseResult.GetValue(file)!;
            var (text, name) = await ReadAsync(path, ct).ConfigureAwait(false);
            try
            {
                var ast = DockerfileParser.Parse(text, name);
                await Console.Out.WriteAsync(ast.Dump() + "\n").ConfigureAwait(false);
                return 0;
            }
            catch (DockerfileException ex)
            {
                await Console.Error.WriteLineAsync("Error: " + ex.ToDisplayString()).ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }

    private static Command CreateCheck()
    {
        var file = new Argument<string>("FILE") { Description = "The Dockerfile to check, or - for standard input" };
        var command = new Command("check", "Run the build checks: errors (non-zero exit) and warnings, with line numbers");
        command.Arguments.Add(file);
        command.SetAction(async (parseResult, ct) =>
        {
            var path = parseResult.GetValue(file)!;
            var (text, name) = await ReadAsync(path, ct).ConfigureAwait(false);
            IReadOnlyList<CheckFinding> findings;
            try
            {
                findings = DockerfileChecker.Check(text, name);
            }
            catch (DockerfileException ex)
            {
                await Console.Error.WriteLineAsync("Error: " + ex.ToDisplayString()).ConfigureAwait(false);
                return 1;
            }

            var lines = text.Split('\n');
            var errors = 0;
            var warnings = 0;
            var sb = new StringBuilder();
            foreach (var f in findings)
            {
                if (f.Severity == CheckSeverity.Error)
                {
                    errors++;
                }
                else
                {
                    warnings++;
                }

                sb.Append(f.Format(name)).Append('\n');
                if (f.Range.StartLine >= 1 && f.Range.StartLine <= lines.Length)
                {
                    sb.Append($" {f.Range.StartLine,4} | >>> {lines[f.Range.StartLine - 1].TrimEnd('\r')}\n");
                }
            }

            sb.Append($"{name}: {errors} error(s), {warnings} warning(s)\n");
            var output = sb.ToString();
            if (errors > 0)
            {
                await Console.Error.WriteAsync(output).ConfigureAwait(false);
                return 1;
            }

            await Console.Out.WriteAsync(output).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static async Task<(string Text, string Name)> ReadAsync(string path, CancellationToken ct)
    {
        if (path == "-")
        {
            using var stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
            return (await stdin.ReadToEndAsync(ct).ConfigureAwait(false), "-");
        }

        if (!File.Exists(path))
        {
            throw new Gantry.Oci.GantryException($"cannot read Dockerfile {path}: no such file (give the path of a Dockerfile, or - for standard input)");
        }

        var text = await File.ReadAllTextAsync(path, new UTF8Encoding(false), ct).ConfigureAwait(false);
        return (text, Path.GetFileName(path));
    }
}
