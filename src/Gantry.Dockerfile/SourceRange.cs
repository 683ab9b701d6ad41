// Owns: a 1-based, inclusive range of source lines.
namespace Gantry.Dockerfile;

/// <summary>A 1-based, inclusive range of lines in the Dockerfile.</summary>
public readonly record struct SourceRange(int StartLine, int EndLine)
{
    public override string ToString() => StartLine == EndLine ? $"{StartLine}" : $"{StartLine}-{EndLine}";
}
