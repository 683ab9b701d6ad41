// Owns: the one error type of the Dockerfile front end: file name, 1-based line range, message and the offending source lines.
using System.Globalization;
using System.Text;

namespace Gantry.Dockerfile;

/// <summary>
/// A Dockerfile (or .dockerignore) that cannot be read. <see cref="Exception.Message"/> is
/// <c>FILE:LINE: detail</c>; <see cref="ToDisplayString"/> adds the offending lines the way BuildKit shows them.
/// </summary>
public sealed class DockerfileException : Exception
{
    public DockerfileException()
        : this("Dockerfile", 0, 0, "invalid Dockerfile")
    {
    }

    public DockerfileException(string message)
        : this("Dockerfile", 0, 0, message)
    {
    }

    public DockerfileException(string message, Exception innerException)
        : base(message, innerException)
    {
        FileName = "Dockerfile";
        Detail = message;
        SourceLines = [];
    }

    public DockerfileException(string fileName, int startLine, int endLine, string detail, IReadOnlyList<string>? sourceLines = null, Exception? innerException = null)
        : base(Format(fileName, startLine, detail), innerException)
    {
        FileName = fileName;
        StartLine = startLine;
        EndLine = endLine < startLine ? startLine : endLine;
        Detail = detail;
        SourceLines = sourceLines ?? [];
    }

    /// <summary>The file name as given to the parser (e.g. <c>Dockerfile</c>, <c>app.Dockerfile</c>, <c>-</c>).</summary>
    public string FileName { get; }

    /// <summary>First offending line, 1-based; 0 when the error has no line (e.g. an empty file).</summary>
    public int StartLine { get; }

    /// <summary>Last offending line, 1-based (equal to <see cref="StartLine"/> for one-line errors).</summary>
    public int EndLine { get; }

    /// <summary>The message without the <c>FILE:LINE:</c> prefix.</summary>
    public string Detail { get; }

    /// <summary>The source text of lines <see cref="StartLine"/>..<see cref="EndLine"/> (may be empty).</summary>
    public IReadOnlyList<string> SourceLines { get; }

    /// <summary>Returns the same error located in a file (used when the parser did not know the lines).</summary>
    public DockerfileException WithSource(string fileName, IReadOnlyList<string> allLines)
    {
        ArgumentNullException.ThrowIfNull(allLines);
        var lines = new List<string>();
        for (var i = StartLine; i >= 1 && i <= EndLine && i <= allLines.Count; i++)
        {
            lines.Add(allLines[i - 1]);
        }

        return new DockerfileException(fileName, StartLine, EndLine, Detail, lines, InnerException);
    }

    /// <summary>
    /// <c>FILE:LINE: detail</c> followed by the offending lines, e.g.
    /// <code>
    /// Dockerfile:1: FROM takes one image …
    ///  --------------------
    ///    1 | >>> FROM node //comment
    ///  --------------------
    /// </code>
    /// </summary>
    public string ToDisplayString()
    {
        if (SourceLines.Count == 0)
        {
            return Message;
        }

        var sb = new StringBuilder(Message).Append('\n');
        sb.Append(" --------------------\n");
        for (var i = 0; i < SourceLines.Count; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $" {StartLine + i,4} | >>> {SourceLines[i].TrimEnd('\r', '\n')}\n");
        }

        sb.Append(" --------------------");
        return sb.ToString();
    }

    /// <summary>Locates an error that was raised without a position (e.g. by the expander at dispatch).</summary>
    public DockerfileException At(string fileName, SourceRange range, IReadOnlyList<string>? allLines = null) =>
        At(fileName, range, allLines, null);

    /// <summary>Locates the error; <paramref name="fallbackSource"/> is shown when the file's lines are not at hand.</summary>
    public DockerfileException At(string fileName, SourceRange range, IReadOnlyList<string>? allLines, string? fallbackSource)
    {
        var located = new DockerfileException(fileName, range.StartLine, range.EndLine, Detail, fallbackSource is null ? null : [fallbackSource], this);
        return allLines is null ? located : located.WithSource(fileName, allLines);
    }

    private static string Format(string fileName, int line, string detail)
    {
        if (string.IsNullOrEmpty(fileName))
        {
            return detail;
        }

        return line > 0 ? $"{fileName}:{line.ToString(CultureInfo.InvariantCulture)}: {detail}" : $"{fileName}: {detail}";
    }
}
