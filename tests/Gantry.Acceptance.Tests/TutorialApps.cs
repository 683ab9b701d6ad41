// Owns: the tutorials' example apps and Dockerfiles (cron-ticker of tutorial 1, the node web app of tutorial 2) written into folders.
using Gantry.TestKit;

namespace Gantry.Acceptance.Tests;

/// <summary>The source files the tutorials assume the reader has, written by the tests (the tutorials' repos are not reachable offline).</summary>
public static class TutorialApps
{
    /// <summary>Tutorial 1's Dockerfile, in the tutorial's order (app.js and package.json copied before npm install).</summary>
    public const string CronTickerDockerfile =
        "FROM node:19.2-alpine3.16\n" +
        "WORKDIR /app\n" +
        "COPY app.js package.json ./\n" +
        "RUN npm install\n" +
        "CMD [\"node\", \"app.js\"]\n";

    /// <summary>The order the tutorial recommends: dependencies first, so editing app.js keeps the npm install layer.</summary>
    public const string CronTickerDockerfileRecommended =
        "FROM node:19.2-alpine3.16\n" +
        "WORKDIR /app\n" +
        "COPY package.json ./\n" +
        "RUN npm install\n" +
        "COPY app.js ./\n" +
        "CMD [\"node\", \"app.js\"]\n";

    /// <summary>The tutorial's literal first line, with its `//` "comment".</summary>
    public const string CronTickerDockerfileWithSlashComment =
        "FROM node:19.2-alpine3.16 //punto de partida\n" +
        "WORKDIR /app\n" +
        "COPY app.js package.json ./\n" +
        "RUN npm install\n" +
        "CMD [\"node\", \"app.js\"]\n";

    public const string TickLine = "Tick cada segundo";

    public static string CronTickerAppJs(string variant = "") =>
        "const cron = require('node-cron');\n" +
        "\n" +
        "let times = 0;\n" +
        $"// {variant}\n" +
        "cron.schedule('*/1 * * * * *', () => {\n" +
        "  times++;\n" +
        $"  console.log('{TickLine}', times);\n" +
        "});\n" +
        "\n" +
        "console.log('Inicio de cron-ticker');\n";

    public const string CronTickerPackageJson =
        "{\n" +
        "  \"name\": \"cron-ticker\",\n" +
        "  \"version\": \"1.0.0\",\n" +
        "  \"description\": \"Prints a tick every second (tutorial 1)\",\n" +
        "  \"main\": \"app.js\",\n" +
        "  \"scripts\": { \"start\": \"node app.js\" },\n" +
        "  \"license\": \"ISC\",\n" +
        "  \"dependencies\": { \"node-cron\": \"3.0.3\" }\n" +
        "}\n";

    /// <summary>Tutorial 2's heredoc, exactly as the tutorial types it (run by bash in the app folder).</summary>
    public const string NodeAppHeredoc =
        "cat <<EOF > Dockerfile\n" +
        "FROM node:15.12.0-slim\n" +
        "COPY . /usr/src/app\n" +
        "WORKDIR /usr/src/app\n" +
        "RUN npm install\n" +
        "EXPOSE 8080\n" +
        "ENTRYPOINT [\"node\", \"index.js\"]\n" +
        "EOF\n";

    public const string NodeAppGreeting = "Hola desde nodejs-app";

    public const string NodeAppIndexJs =
        "const http = require('http');\n" +
        "const ms = require('ms');\n" +
        "const started = Date.now();\n" +
        "const server = http.createServer((req, res) => {\n" +
        "  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });\n" +
        $"  res.end('{NodeAppGreeting}: ' + req.url + ' (up ' + ms(Math.max(1, Date.now() - started)) + ')\\n');\n" +
        "});\n" +
        "server.listen(8080, '0.0.0.0', () => console.log('listening on 8080'));\n" +
        "process.on('SIGTERM', () => server.close(() => process.exit(0)));\n";

    public const string NodeAppPackageJson =
        "{\n" +
        "  \"name\": \"app-netlabs-ocp\",\n" +
        "  \"version\": \"1.0.0\",\n" +
        "  \"main\": \"index.js\",\n" +
        "  \"scripts\": { \"start\": \"node index.js\" },\n" +
        "  \"dependencies\": { \"ms\": \"2.1.3\" }\n" +
        "}\n";

    /// <summary>Writes the cron-ticker app (and optionally a Dockerfile) into <paramref name="dir"/>.</summary>
    public static void WriteCronTicker(string dir, string? dockerfile = CronTickerDockerfile, string variant = "")
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "app.js"), CronTickerAppJs(variant));
        File.WriteAllText(Path.Combine(dir, "package.json"), CronTickerPackageJson);
        if (dockerfile is not null)
        {
            File.WriteAllText(Path.Combine(dir, "Dockerfile"), dockerfile);
        }
    }

    /// <summary>Writes the web app and creates its Dockerfile with the tutorial's heredoc.</summary>
    public static void WriteNodeApp(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "index.js"), NodeAppIndexJs);
        File.WriteAllText(Path.Combine(dir, "package.json"), NodeAppPackageJson);
        var r = ProcessRunner.Run("bash", ["-c", NodeAppHeredoc], dir);
        Assert.True(r.ExitCode == 0, $"the tutorial's heredoc failed: {r}");
        Assert.Contains("FROM node:15.12.0-slim", File.ReadAllText(Path.Combine(dir, "Dockerfile")), StringComparison.Ordinal);
    }
}
