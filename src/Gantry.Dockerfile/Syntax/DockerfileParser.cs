// Owns: turning Dockerfile text into the syntax tree, as BuildKit's parser.Parse does (directives, comments,
// continuations, heredocs, flags, exec vs shell form) — syntax only, no build semantics.
using System.Text;
using Gantry.Dockerfile.Shell;

namespace Gantry.Dockerfile.Syntax;

/// <summary>The Dockerfile parser. <see cref="Parse"/> is the entry point.</summary>
public static class DockerfileParser
{
    /// <summary>The directives BuildKit recognises at the top of a file.</summary>
    public static IReadOnlySet<string> KnownDirectives { get; } = new HashSet<string>(StringComparer.Ordinal) { "syntax", "escape", "check" };

    private static readonly HashSet<string> HeredocInstructions = new(StringComparer.Ordinal) { "add", "copy", "run" };

    /// <summary>
    /// Parses <paramref name="text"/>. Throws <see cref="DockerfileException"/> (with <paramref name="fileName"/>, the
    /// line range and the offending lines) for syntax errors: an empty file, bad directives, an unterminated heredoc,
    /// a JSON array with non-string elements, <c>ENV</c>/<c>LABEL</c> without a value.
    /// </summary>
    public static DockerfileAst Parse(string text, string fileName = "Dockerfile")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var lines = SplitLines(text);
        var displayLines = new List<string>(lines.Count);
        foreach (var l in lines)
        {
            displayLines.Add(TrimNewline(l));
        }

        var state = new ParserState(fileName, displayLines);
        var directives = new Directives();
        var instructions = new List<InstructionNode>();
        var warnings = new List<ParseWarning>();
        var comments = new List<string>();
        var index = 0;
        var currentLine = 0;
        var rootStart = -1;
        var rootEnd = -1;

        while (index < lines.Count)
        {
            var raw = lines[index++];
            if (currentLine == 0 && raw.Length > 0 && raw[0] == '\uFEFF')
            {
                raw = raw[1..];
            }

            if (IsComment(raw))
            {
                comments.Add(TrimNewline(raw).TrimStart()[1..].Trim());
            }

            string processed;
            try
            {
                processed = ProcessLine(directives, raw, true, currentLine + 1);
            }
            catch (DockerfileException ex)
            {
                throw state.Error(currentLine + 1, currentLine + 1, ex.Detail);
            }

            currentLine++;
            var startLine = currentLine;
            var (line, isEndOfLine) = TrimContinuation(processed, directives.EscapeToken);
            if (isEndOfLine && line.Length == 0)
            {
                continue;
            }

            var sb = new StringBuilder(line);
            var hasEmptyContinuationLine = false;
            while (!isEndOfLine && index < lines.Count)
            {
                var next = lines[index++];
                string cont;
                try
                {
                    cont = ProcessLine(directives, next, false, currentLine + 1);
                }
                catch (DockerfileException ex)
                {
                    throw state.Error(currentLine + 1, currentLine + 1, ex.Detail);
                }

                currentLine++;
                if (IsComment(next))
                {
                    continue;
                }

                if (IsEmptyContinuationLine(cont))
                {
                    hasEmptyContinuationLine = true;
                    continue;
                }

                (cont, isEndOfLine) = TrimContinuation(cont, directives.EscapeToken);
                sb.Append(cont);
            }

            var logical = sb.ToString();
            if (hasEmptyContinuationLine)
            {
                warnings.Add(new ParseWarning("empty continuation line found in: " + logical.Trim(), new SourceRange(startLine, currentLine)));
            }

            InstructionNode child;
            try
            {
                child = NodeFromLine(logical, directives.EscapeToken, [.. comments], new SourceRange(startLine, currentLine), state);
            }
            catch (DockerfileException ex) when (ex.StartLine == 0)
            {
                throw state.Error(startLine, currentLine, ex.Detail);
            }

            if (CanContainHeredoc(child))
            {
                var heredocs = HeredocsFromLine(logical, state, startLine, currentLine);
                if (heredocs.Count > 0)
                {
                    var bodies = new List<Heredoc>(heredocs.Count);
                    foreach (var h in heredocs)
                    {
                        var content = new StringBuilder();
                        var terminated = false;
                        while (index < lines.Count)
                        {
                            var bodyLine = lines[index++];
                            currentLine++;
                            var candidate = TrimNewline(bodyLine);
                            if (h.Chomp)
                            {
                                candidate = candidate.TrimStart('\t');
                            }

                            if (candidate == h.Name)
                            {
                                terminated = true;
                                break;
                            }

                            content.Append(bodyLine);
                        }

                        if (!terminated)
                        {
                            throw state.Error(
                                startLine,
                                startLine,
                                $"unterminated heredoc: no line \"{h.Name}\" ends the heredoc started here (the body runs to the end of the file); add a line containing only {h.Name}");
                        }

                        bodies.Add(h with { Content = content.ToString() });
                    }

                    child = WithHeredocs(child, bodies, new SourceRange(startLine, currentLine));
                }
            }

            child = child with { Range = new SourceRange(startLine, currentLine) };
            instructions.Add(child);
            if (rootStart < 0)
            {
                rootStart = startLine;
            }

            rootEnd = currentLine;
            comments.Clear();
        }

        if (rootStart < 0)
        {
            throw new DockerfileException(
                fileName,
                currentLine > 0 ? 1 : 0,
                currentLine > 0 ? 1 : 0,
                "file with no instructions: the Dockerfile is empty or has only comments; it needs at least a FROM instruction",
                currentLine > 0 ? [displayLines[0]] : []);
        }

        return new DockerfileAst(fileName, instructions, directives.EscapeToken, directives.Seen, warnings, new SourceRange(rootStart, rootEnd), displayLines);
    }

    private static InstructionNode WithHeredocs(InstructionNode node, List<Heredoc> heredocs, SourceRange range)
    {
        if (node.Arguments is SubInstructionArguments sub)
        {
            return node with { Arguments = new SubInstructionArguments(sub.Trigger with { Heredocs = heredocs, Range = range }), Heredocs = heredocs };
        }

        return node with { Heredocs = heredocs };
    }

    /// <summary>Parses one logical instruction line (used for ONBUILD triggers too).</summary>
    internal static InstructionNode NodeFromLine(string line, char escape, IReadOnlyList<string> comments, SourceRange range, ParserState? state)
    {
        var (cmd, flags, args) = SplitCommand(line);
        var name = cmd.ToLowerInvariant();
        NodeArguments arguments = name switch
        {
            "add" or "copy" or "volume" => ParseMaybeJsonToList(args),
            "arg" => ParseNameOrNameVal(args, escape),
            "cmd" or "entrypoint" or "run" or "shell" => ParseMaybeJson(args),
            "env" => ParseNameVal(args, "ENV", escape),
            "label" => ParseNameVal(args, "LABEL", escape),
            "expose" or "from" => ParseWhitespaceDelimited(args),
            "healthcheck" => ParseHealthConfig(args),
            "maintainer" or "stopsignal" or "user" or "workdir" => args.Length == 0 ? NoArguments.Instance : new WordArguments([args], false),
            "onbuild" => args.Length == 0
                ? NoArguments.Instance
                : new SubInstructionArguments(NodeFromLine(args, escape, [], range, state)),
            _ => new IgnoredArguments(args),
        };
        return new InstructionNode(cmd, flags, arguments, line, range, [], comments);
    }

    private static bool CanContainHeredoc(InstructionNode node)
    {
        if (node.Name == "onbuild" && node.Arguments is SubInstructionArguments sub)
        {
            node = sub.Trigger;
        }

        return HeredocInstructions.Contains(node.Name) && !node.IsJson;
    }

    private static List<Heredoc> HeredocsFromLine(string line, ParserState state, int startLine, int endLine)
    {
        var lexer = new ShellWordExpander('\\') { RawQuotes = true, RawEscapes = true, SkipUnsetEnv = true };
        IReadOnlyList<string> words;
        try
        {
            words = lexer.ProcessWords(line, EmptyEnv);
        }
        catch (DockerfileException)
        {
            words = [];
        }

        var docs = new List<Heredoc>();
        foreach (var word in words)
        {
            var h = TryParseHeredoc(word, state, startLine, endLine);
            if (h is not null)
            {
                docs.Add(h);
            }
        }

        return docs;
    }

    internal static readonly IReadOnlyDictionary<string, string> EmptyEnv = new Dictionary<string, string>();

    // ^(\d*)<<(-?)([^<]*)$
    private static Heredoc? TryParseHeredoc(string word, ParserState state, int startLine, int endLine)
    {
        var i = 0;
        while (i < word.Length && char.IsAsciiDigit(word[i]))
        {
            i++;
        }

        if (i + 1 >= word.Length || word[i] != '<' || word[i + 1] != '<')
        {
            return null;
        }

        var fdText = word[..i];
        i += 2;
        var chomp = false;
        if (i < word.Length && word[i] == '-')
        {
            chomp = true;
            i++;
        }

        var rest = word[i..];
        if (rest.Length == 0 || rest.Contains('<', StringComparison.Ordinal))
        {
            return null;
        }

        var fd = 0;
        if (fdText.Length > 0 && !int.TryParse(fdText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out fd))
        {
            fd = 0;
        }

        IReadOnlyList<string> words;
        IReadOnlyList<string> wordsRaw;
        try
        {
            words = new ShellWordExpander('\\') { SkipUnsetEnv = true }.ProcessWords(rest, EmptyEnv);
            if (words.Count != 1)
            {
                return null;
            }

            wordsRaw = new ShellWordExpander('\\') { SkipUnsetEnv = true, RawQuotes = true }.ProcessWords(rest, EmptyEnv);
        }
        catch (DockerfileException ex)
        {
            throw state.Error(startLine, endLine, $"invalid heredoc delimiter {rest}: {ex.Detail}");
        }

        if (wordsRaw.Count != words.Count)
        {
            throw state.Error(startLine, endLine, $"invalid heredoc delimiter {rest}");
        }

        var name = words[0];
        var quoteCount = CountQuotes(name);
        var rawQuoteCount = CountQuotes(wordsRaw[0]);
        return new Heredoc(name, fd, quoteCount == rawQuoteCount, chomp, "");
    }

    private static int CountQuotes(string s)
    {
        var n = 0;
        foreach (var c in s)
        {
            if (c is '\'' or '"')
            {
                n++;
            }
        }

        return n;
    }

    // ---- line helpers (parser.go) ----

    private static List<string> SplitLines(string text)
    {
        var list = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var nl = text.IndexOf('\n', start);
            if (nl < 0)
            {
                list.Add(text[start..]);
                break;
            }

            list.Add(text[start..(nl + 1)]);
            start = nl + 1;
        }

        return list;
    }

    private static string TrimNewline(string s) => s.TrimEnd('\r', '\n');

    private static bool IsComment(string line)
    {
        var t = TrimNewline(line).TrimStart();
        return t.Length > 0 && t[0] == '#';
    }

    private static bool IsEmptyContinuationLine(string line) => TrimNewline(line).TrimStart().Length == 0;

    private static string ProcessLine(Directives d, string token, bool stripLeftWhitespace, int lineNumber)
    {
        token = TrimNewline(token);
        if (stripLeftWhitespace)
        {
            token = token.TrimStart();
        }

        d.PossibleParserDirective(token, lineNumber);
        return token.Length > 0 && token[0] == '#' ? "" : token;
    }

    // ([^E])E[ \t]*$|^E[ \t]*$  → "$1"
    private static (string Line, bool IsEndOfLine) TrimContinuation(string line, char escape)
    {
        var t = line.TrimEnd(' ', '\t');
        if (t.Length == 0 || t[^1] != escape)
        {
            return (line, true);
        }

        if (t.Length == 1)
        {
            return ("", false);
        }

        if (t[^2] == escape)
        {
            return (line, true);
        }

        return (t[..^1], false);
    }

    // ---- command splitting (split_command.go) ----

    private static (string Cmd, IReadOnlyList<string> Flags, string Args) SplitCommand(string line)
    {
        var trimmed = TrimGoSpace(line);
        var i = 0;
        while (i < trimmed.Length && !IsReWhitespace(trimmed[i]))
        {
            i++;
        }

        var cmd = trimmed[..i];
        if (i == trimmed.Length)
        {
            return (cmd, [], "");
        }

        while (i < trimmed.Length && IsReWhitespace(trimmed[i]))
        {
            i++;
        }

        var (args, flags) = ExtractBuilderFlags(trimmed[i..]);
        return (cmd, flags, TrimGoSpace(args));
    }

    private static string TrimGoSpace(string s) => s.Trim();

    private static bool IsReWhitespace(char c) => c is '\t' or '\v' or '\f' or '\r' or ' ';

    private static (string Remainder, List<string> Flags) ExtractBuilderFlags(string line)
    {
        const int InSpaces = 0, InWord = 1, InQuote = 2;
        var words = new List<string>();
        var phase = InSpaces;
        var word = new StringBuilder();
        var quote = '\0';
        var blankOk = false;
        var ch = '\0';
        for (var pos = 0; pos <= line.Length; pos++)
        {
            if (pos != line.Length)
            {
                ch = line[pos];
            }

            if (phase == InSpaces)
            {
                if (pos == line.Length)
                {
                    break;
                }

                if (char.IsWhiteSpace(ch))
                {
                    continue;
                }

                if (ch != '-' || pos + 1 == line.Length || line[pos + 1] != '-')
                {
                    return (line[pos..], words);
                }

                phase = InWord;
            }

            if ((phase == InWord || phase == InQuote) && pos == line.Length)
            {
                var w = word.ToString();
                if (w != "--" && (blankOk || w.Length > 0))
                {
                    words.Add(w);
                }

                break;
            }

            if (phase == InWord)
            {
                if (char.IsWhiteSpace(ch))
                {
                    phase = InSpaces;
                    var w = word.ToString();
                    if (w == "--")
                    {
                        return (line[pos..], words);
                    }

                    if (blankOk || w.Length > 0)
                    {
                        words.Add(w);
                    }

                    word.Clear();
                    blankOk = false;
                    continue;
                }

                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                    phase = InQuote;
                    continue;
                }

                if (ch == '\\')
                {
                    if (pos + 1 == line.Length)
                    {
                        continue;
                    }

                    pos++;
                    ch = line[pos];
                }

                word.Append(ch);
                continue;
            }

            if (phase == InQuote)
            {
                if (ch == quote)
                {
                    phase = InWord;
                    continue;
                }

                if (ch == '\\')
                {
                    if (pos + 1 == line.Length)
                    {
                        phase = InWord;
                        continue;
                    }

                    pos++;
                    ch = line[pos];
                }

                word.Append(ch);
            }
        }

        return ("", words);
    }

    // ---- argument parsers (line_parsers.go) ----

    private static NodeArguments ParseWhitespaceDelimited(string rest)
    {
        if (rest.Length == 0)
        {
            return NoArguments.Instance;
        }

        return new WordArguments(SplitReWhitespace(rest, -1), false);
    }

    private static List<string> SplitReWhitespace(string s, int max)
    {
        var list = new List<string>();
        var start = 0;
        var i = 0;
        while (i < s.Length)
        {
            if (IsReWhitespace(s[i]) && (max < 0 || list.Count < max - 1))
            {
                list.Add(s[start..i]);
                while (i < s.Length && IsReWhitespace(s[i]))
                {
                    i++;
                }

                start = i;
                continue;
            }

            i++;
        }

        list.Add(s[start..]);
        return list;
    }

    private static NodeArguments ParseMaybeJson(string rest)
    {
        if (rest.Length == 0)
        {
            return NoArguments.Instance;
        }

        return JsonArray.TryParse(rest, out var values) switch
        {
            JsonArray.Outcome.Strings => values.Count == 0 ? new WordArguments([], true) : new WordArguments(values, true),
            JsonArray.Outcome.NonString => throw NotStringArray(rest),
            _ => new WordArguments([rest], false),
        };
    }

    private static NodeArguments ParseMaybeJsonToList(string rest)
    {
        return JsonArray.TryParse(rest, out var values) switch
        {
            JsonArray.Outcome.Strings => new WordArguments(values, true),
            JsonArray.Outcome.NonString => throw NotStringArray(rest),
            _ => ParseWhitespaceDelimited(rest),
        };
    }

    private static DockerfileException NotStringArray(string rest) =>
        new("", 0, 0, $"when using JSON array syntax, arrays must be comprised of strings only: {rest} (quote every element, e.g. [\"echo\", \"hi\"], and do not nest arrays)");

    private static NodeArguments ParseHealthConfig(string rest)
    {
        var sep = 0;
        while (sep < rest.Length && !char.IsWhiteSpace(rest[sep]))
        {
            sep++;
        }

        var next = sep;
        while (next < rest.Length && char.IsWhiteSpace(rest[next]))
        {
            next++;
        }

        if (sep == 0)
        {
            return NoArguments.Instance;
        }

        var cmd = ParseMaybeJson(rest[next..]);
        return new HealthcheckArguments(rest[..sep], cmd as WordArguments);
    }

    private static NodeArguments ParseNameOrNameVal(string rest, char escape)
    {
        var words = ParseWords(rest, escape);
        return words.Count == 0 ? NoArguments.Instance : new WordArguments(words, false);
    }

    private static NodeArguments ParseNameVal(string rest, string key, char escape)
    {
        var words = ParseWords(rest, escape);
        if (words.Count == 0)
        {
            return NoArguments.Instance;
        }

        if (!words[0].Contains('=', StringComparison.Ordinal))
        {
            var parts = SplitReWhitespace(rest, 2);
            if (parts.Count < 2)
            {
                throw new DockerfileException("", 0, 0, $"{key} must have two arguments: {key} {rest} has a name but no value; write {key} {rest}=value");
            }

            return new KeyValueArguments([new KeyValueSyntax(parts[0], parts[1], false)]);
        }

        var pairs = new List<KeyValueSyntax>(words.Count);
        foreach (var w in words)
        {
            var eq = w.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                throw new DockerfileException("", 0, 0, $"Syntax error - can't find = in \"{w}\". Must be of the form: name=value");
            }

            pairs.Add(new KeyValueSyntax(w[..eq], w[(eq + 1)..], true));
        }

        return new KeyValueArguments(pairs);
    }

    /// <summary>Splits on whitespace keeping quotes and escapes in the words (BuildKit's parseWords).</summary>
    internal static List<string> ParseWords(string rest, char escape)
    {
        const int InSpaces = 0, InWord = 1, InQuote = 2;
        var words = new List<string>();
        var phase = InSpaces;
        var word = new StringBuilder();
        var quote = '\0';
        var blankOk = false;
        var ch = '\0';
        for (var pos = 0; pos <= rest.Length; pos++)
        {
            if (pos != rest.Length)
            {
                ch = rest[pos];
            }

            if (phase == InSpaces)
            {
                if (pos == rest.Length)
                {
                    break;
                }

                if (char.IsWhiteSpace(ch))
                {
                    continue;
                }

                phase = InWord;
            }

            if ((phase == InWord || phase == InQuote) && pos == rest.Length)
            {
                if (blankOk || word.Length > 0)
                {
                    words.Add(word.ToString());
                }

                break;
            }

            if (phase == InWord)
            {
                if (char.IsWhiteSpace(ch))
                {
                    phase = InSpaces;
                    if (blankOk || word.Length > 0)
                    {
                        words.Add(word.ToString());
                    }

                    word.Clear();
                    blankOk = false;
                    continue;
                }

                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                    phase = InQuote;
                }

                if (ch == escape)
                {
                    if (pos + 1 == rest.Length)
                    {
                        continue;
                    }

                    word.Append(ch);
                    pos++;
                    ch = rest[pos];
                }

                word.Append(ch);
                continue;
            }

            if (phase == InQuote)
            {
                if (ch == quote)
                {
                    phase = InWord;
                }

                if (ch == escape && quote != '\'')
                {
                    if (pos + 1 == rest.Length)
                    {
                        phase = InWord;
                        continue;
                    }

                    pos++;
                    word.Append(ch);
                    ch = rest[pos];
                }

                word.Append(ch);
            }
        }

        return words;
    }

    internal sealed class ParserState(string fileName, IReadOnlyList<string> lines)
    {
        public DockerfileException Error(int start, int end, string detail)
        {
            var src = new List<string>();
            for (var i = start; i >= 1 && i <= end && i <= lines.Count; i++)
            {
                src.Add(lines[i - 1]);
            }

            return new DockerfileException(fileName, start, end, detail, src);
        }
    }

    private sealed class Directives
    {
        private bool done;

        public char EscapeToken { get; private set; } = '\\';

        public List<ParserDirective> Seen { get; } = [];

        // ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$
        public void PossibleParserDirective(string line, int lineNumber)
        {
            if (done)
            {
                return;
            }

            if (!TryMatch(line, out var name, out var value))
            {
                done = true;
                return;
            }

            var k = name.ToLowerInvariant();
            if (!KnownDirectives.Contains(k))
            {
                done = true;
                return;
            }

            foreach (var s in Seen)
            {
                if (s.Name == k)
                {
                    throw new DockerfileException("", 0, 0, $"only one {k} parser directive can be used");
                }
            }

            if (k == "escape")
            {
                if (value != "`" && value != "\\")
                {
                    throw new DockerfileException("", 0, 0, $"invalid escape token '{value}' does not match ` or \\");
                }

                EscapeToken = value[0];
            }

            Seen.Add(new ParserDirective(k, value, lineNumber));
        }

        private static bool IsReSpace(char c) => c is ' ' or '\t' or '\n' or '\f' or '\r';

        private static bool TryMatch(string line, out string name, out string value)
        {
            name = "";
            value = "";
            var i = 0;
            if (line.Length == 0 || line[0] != '#')
            {
                return false;
            }

            i++;
            while (i < line.Length && IsReSpace(line[i]))
            {
                i++;
            }

            var ns = i;
            if (i >= line.Length || !char.IsAsciiLetter(line[i]))
            {
                return false;
            }

            while (i < line.Length && char.IsAsciiLetterOrDigit(line[i]))
            {
                i++;
            }

            name = line[ns..i];
            while (i < line.Length && IsReSpace(line[i]))
            {
                i++;
            }

            if (i >= line.Length || line[i] != '=')
            {
                return false;
            }

            i++;
            while (i < line.Length && IsReSpace(line[i]))
            {
                i++;
            }

            var end = line.Length;
            while (end > i && IsReSpace(line[end - 1]))
            {
                end--;
            }

            if (end <= i || line.AsSpan(i, end - i).Contains('\n'))
            {
                return false;
            }

            value = line[i..end];
            return true;
        }
    }
}
