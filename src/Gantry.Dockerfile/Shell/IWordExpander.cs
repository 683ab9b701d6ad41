// Owns: the interface typed instructions use to expand their fields at dispatch.
namespace Gantry.Dockerfile.Shell;

/// <summary>
/// Expands words with one fixed environment (the stage's ARGs and ENVs at the point of dispatch).
/// Get one with <see cref="ShellWordExpander.WithEnvironment"/>.
/// </summary>
public interface IWordExpander
{
    /// <summary>Expands variables and removes quotes/escapes, keeping the result as one word.</summary>
    string ExpandWord(string word);

    /// <summary>Expands, then splits on unquoted whitespace (used for EXPOSE).</summary>
    IReadOnlyList<string> ExpandWords(string words);
}
