// Owns: the Dockerfile parse benchmark: generates 1k/10k/100k-instruction Dockerfiles and reports parse time per instruction.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gantry.Dockerfile.Instructions;

namespace Gantry.Bench.DockerfileParse;

internal static class Program
{
    private static int Main(string[] args)
    {
        var sizes = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [1_000, 10_000, 100_000];
        Console.WriteLine("instructions   bytes        best ms   µs/instruction");

        // Warm up the JIT.
        DockerfileModel.Parse(Generate(500), "Dockerfile");
        double? firstPerInstruction = null;
        double worstRatio = 0;
        foreach (var n in sizes)
        {
            var text = Generate(n);
            var best = double.MaxValue;
            for (var run = 0; run < 3; run++)
            {
                var sw = Stopwatch.StartNew();
                var model = DockerfileModel.Parse(text, "Dockerfile");
                sw.Stop();
                if (model.Stages.Sum(s => s.Instructions.Count + 1) != n)
                {
                    Console.Error.WriteLine($"parsed {model.Stages.Sum(s => s.Instructions.Count + 1)} instructions, expected {n}");
                    return 1;
                }

                best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
            }

            var perInstruction = best * 1000 / n;
            firstPerInstruction ??= perInstruction;
            worstRatio = Math.Max(worstRatio, perInstruction / firstPerInstruction.Value);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n,12} {text.Length,10} {best,12:F1} {perInstruction,14:F2}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"largest per-instruction cost / smallest: {worstRatio:F2}x (linear ≈ 1x; quadratic would grow with size)"));
        return 0;
    }

    /// <summary>A realistic mix: stages, ARG/ENV, continuations, comments, heredocs, JSON forms, flags.</summary>
    private static string Generate(int instructions)
    {
        var sb = new StringBuilder();
        var count = 0;
        var stage = 0;
        while (count < instructions)
        {
            var k = count % 20;
            if (k == 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"FROM alpine:3.{stage % 20} AS stage{stage}\n");
                stage++;
            }
            else
            {
                switch (k % 10)
                {
                    case 1: sb.Append(CultureInfo.InvariantCulture, $"ARG VERSION_{count}=\"1.{count}\"\n"); break;
                    case 2: sb.Append(CultureInfo.InvariantCulture, $"ENV PATH_{count}=/opt/{count}/bin:$PATH OTHER=\"x y\"\n"); break;
                    case 3: sb.Append("# install the tools\nRUN apk add --no-cache \\\n    curl \\\n    git && \\\n    echo done\n"); break;
                    case 4: sb.Append(CultureInfo.InvariantCulture, $"COPY --chown=app:app --chmod=644 src/{count}.txt /app/{count}/\n"); break;
                    case 5: sb.Append("RUN --mount=type=cache,target=/root/.cache <<EOF\nset -e\necho building\nEOF\n"); break;
                    case 6: sb.Append("WORKDIR /app\n"); break;
                    case 7: sb.Append("LABEL org.opencontainers.image.title=\"bench\" version=\"1\"\n"); break;
                    case 8: sb.Append("EXPOSE 8080/tcp 9090\n"); break;
                    default: sb.Append("CMD [\"node\", \"app.js\", \"--port\", \"8080\"]\n"); break;
                }
            }

            count++;
        }

        return sb.ToString();
    }
}
