// Owns: shell-word processing as BuildKit's shell.Lex does it: quotes, escapes, $v / ${v…} expansion, word splitting.
using System.Text;

namespace Gantry.Dockerfile.Shell;

/// <summary>
/// The Dockerfile shell-word expander: <c>$v</c>, <c>${v}</c>, <c>${v:-w}</c>, <c>${v-w}</c>, <c>${v:+w}</c>, <c>${v+w}</c>,
/// <c>${v:?msg}</c>, <c>${v?msg}</c>, <c>${v#p}</c>, <c>${v##p}</c>, <c>${v%p}</c>, <c>${v%%p}</c>, <c>${v/p/r}</c>,
/// <c>${v//p/r}</c>, escapes (the Dockerfile's escape token), single and double quotes.
/// Errors are <see cref="DockerfileException"/>s without a location; locate them with
/// <see cref="DockerfileException.At"/>. Instances are immutable and thread-safe.
/// </summary>
public sealed class ShellWordExpander
{
    public ShellWordExpander(char escapeToken = '\\')
    {
        EscapeToken = escapeToken;
    }

    /// <summary>The escape character (<c>\</c> or <c>`</c> from <c># escape=</c>).</summary>
    public char EscapeToken { get; }

    /// <summary>Keep quote characters in the output (they still group words).</summary>
    public bool RawQuotes { get; init; }

    /// <summary>Keep escape characters in the output.</summary>
    public bool RawEscapes { get; init; }

    /// <summary>Leave references to unset variables as written (<c>$x</c>, <c>${x:-y}</c>).</summary>
    public bool SkipUnsetEnv { get; init; }

    /// <summary>Expands one word with <paramref name="env"/> (case-sensitive names, as on Linux).</summary>
    public string ProcessWord(string word, IReadOnlyDictionary<string, string> env) => Run(word, env).Value;

    /// <summary>Expands one word and reports which variables were and were not set.</summary>
    public ExpansionResult ProcessWordWithMatches(string word, IReadOnlyDictionary<string, string> env)
    {
        var state = Run(word, env);
        return new ExpansionResult(state.Value, state.Matched, state.Unmatched);
    }

    /// <summary>Expands, then splits into words on unquoted whitespace (quotes group, empty words are dropped).</summary>
    public IReadOnlyList<string> ProcessWords(string word, IReadOnlyDictionary<string, string> env) => Run(word, env).Words;

    /// <summary>An <see cref="IWordExpander"/> bound to one environment.</summary>
    public IWordExpander WithEnvironment(IReadOnlyDictionary<string, string> env) => new Bound(this, env);

    private (string Value, List<string> Words, HashSet<string> Matched, HashSet<string> Unmatched) Run(string word, IReadOnlyDictionary<string, string> env)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(env);
        var lexer = new Lexer(this, word, env);
        try
        {
            var (value, words) = lexer.ProcessStopOn(null, RawEscapes);
            return (value, words, lexer.Matched, lexer.Unmatched);
        }
        catch (DockerfileException ex)
        {
            throw new DockerfileException("", 0, 0, $"failed to process \"{word}\": {ex.Detail}");
        }
    }

    private sealed class Bound(ShellWordExpander owner, IReadOnlyDictionary<string, string> env) : IWordExpander
    {
        public string ExpandWord(string word) => owner.ProcessWord(word, env);

        public IReadOnlyList<string> ExpandWords(string words) => owner.ProcessWords(words, env);
    }

    private static DockerfileException Error(string message) => new("", 0, 0, message);

    private sealed class WordsBuilder
    {
        private readonly StringBuilder word = new();
        private bool inWord;

        public List<string> Words { get; } = [];

        public void AddChar(char ch)
        {
            if (char.IsWhiteSpace(ch))
            {
                if (inWord && word.Length != 0)
                {
                    Words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                AddRawChar(ch);
            }
        }

        public void AddRawChar(char ch)
        {
            word.Append(ch);
            inWord = true;
        }

        public void AddString(string s)
        {
            foreach (var c in s)
            {
                AddChar(c);
            }
        }

        public void AddRawString(string s)
        {
            word.Append(s);
            inWord = true;
        }

        public List<string> GetWords()
        {
            if (word.Length > 0)
            {
                Words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }

            return Words;
        }
    }

    private sealed class Lexer(ShellWordExpander options, string source, IReadOnlyDictionary<string, string> env)
    {
        private const int Eof = -1;
        private int pos;

        public HashSet<string> Matched { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Unmatched { get; } = new(StringComparer.Ordinal);

        private int Peek() => pos < source.Length ? source[pos] : Eof;

        private int Next() => pos < source.Length ? source[pos++] : Eof;

        public (string Value, List<string> Words) ProcessStopOn(char? stopChar, bool rawEscapes) =>
            ProcessStopOnAny(stopChar is null ? [] : [stopChar.Value], rawEscapes, out _);

        // Reads until one of the stop chars (consumed, returned in 'stoppedOn') or the end of input.
        public (string Value, List<string> Words) ProcessStopOnAny(char[] stops, bool rawEscapes, out int stoppedOn)
        {
            var result = new StringBuilder();
            var words = new WordsBuilder();
            stoppedOn = Eof;
            while (Peek() != Eof)
            {
                var ch = (char)Peek();
                if (stops.Length > 0 && Array.IndexOf(stops, ch) >= 0)
                {
                    Next();
                    stoppedOn = ch;
                    return (result.ToString(), words.GetWords());
                }

                if (ch == '\'' || ch == '"' || ch == '$')
                {
                    var tmp = ch switch
                    {
                        '\'' => ProcessSingleQuote(),
                        '"' => ProcessDoubleQuote(),
                        _ => ProcessDollar(),
                    };
                    result.Append(tmp);
                    if (ch == '$')
                    {
                        words.AddString(tmp);
                    }
                    else
                    {
                        words.AddRawString(tmp);
                    }

                    continue;
                }

                Next();
                if (ch == options.EscapeToken)
                {
                    if (rawEscapes)
                    {
                        words.AddRawChar(ch);
                        result.Append(ch);
                    }

                    var n = Next();
                    if (n == Eof)
                    {
                        break;
                    }

                    ch = (char)n;
                    words.AddRawChar(ch);
                }
                else
                {
                    words.AddChar(ch);
                }

                result.Append(ch);
            }

            if (stops.Length > 0)
            {
                throw Error($"unexpected end of statement while looking for matching {new string(stops)}");
            }

            return (result.ToString(), words.GetWords());
        }

        private string ProcessSingleQuote()
        {
            var result = new StringBuilder();
            var open = Next();
            if (options.RawQuotes)
            {
                result.Append((char)open);
            }

            while (true)
            {
                var ch = Next();
                if (ch == Eof)
                {
                    throw Error("unexpected end of statement while looking for matching single-quote");
                }

                if (ch == '\'')
                {
                    if (options.RawQuotes)
                    {
                        result.Append('\'');
                    }

                    return result.ToString();
                }

                result.Append((char)ch);
            }
        }

        private string ProcessDoubleQuote()
        {
            var result = new StringBuilder();
            Next();
            if (options.RawQuotes)
            {
                result.Append('"');
            }

            while (true)
            {
                var p = Peek();
                if (p == Eof)
                {
                    throw Error("unexpected end of statement while looking for matching double-quote");
                }

                if (p == '"')
                {
                    Next();
                    if (options.RawQuotes)
                    {
                        result.Append('"');
                    }

                    return result.ToString();
                }

                if (p == '$')
                {
                    result.Append(ProcessDollar());
                    continue;
                }

                var ch = (char)Next();
                if (ch == options.EscapeToken)
                {
                    var n = Peek();
                    if (n == Eof)
                    {
                        continue;
                    }

                    if (n == '"' || n == '$' || n == options.EscapeToken)
                    {
                        if (options.RawEscapes)
                        {
                            result.Append(ch);
                        }

                        ch = (char)Next();
                    }
                }

                result.Append(ch);
            }
        }

        private string ProcessDollar()
        {
            Next();
            if (Peek() != '{')
            {
                var simple = ProcessName();
                if (simple.Length == 0)
                {
                    return "$";
                }

                var (v, found) = GetEnv(simple);
                if (!found && options.SkipUnsetEnv)
                {
                    return "$" + simple;
                }

                return v;
            }

            Next();
            var p = Peek();
            if (p == Eof)
            {
                throw Error("syntax error: missing '}'");
            }

            if (p is '{' or '}' or ':')
            {
                throw Error("syntax error: bad substitution");
            }

            var name = ProcessName();
            var c = Next();
            if (c == Eof)
            {
                throw Error("syntax error: missing '}'");
            }

            var ch = (char)c;
            var chs = ch.ToString();
            var nullIsUnset = false;
            switch (ch)
            {
                case '}':
                    {
                        var (value, set) = GetEnv(name);
                        if (!set && options.SkipUnsetEnv)
                        {
                            return "${" + name + "}";
                        }

                        return value;
                    }

                case '/':
                    return ProcessReplace(name);

                case ':':
                    nullIsUnset = true;
                    var m = Next();
                    if (m == Eof)
                    {
                        throw Error("syntax error: missing '}'");
                    }

                    ch = (char)m;
                    chs += ch;
                    goto case '+';

                case '+':
                case '-':
                case '?':
                case '#':
                case '%':
                    {
                        var rawEscapes = ch is '#' or '%';
                        if (nullIsUnset && rawEscapes)
                        {
                            throw Error($"unsupported modifier ({chs}) in substitution");
                        }

                        var (word, _) = ProcessModifierWord(rawEscapes);
                        var (value, set) = GetEnv(name, ch is not ('-' or '+' or '?'));
                        if (options.SkipUnsetEnv && !set)
                        {
                            return "${" + name + chs + word + "}";
                        }

                        switch (ch)
                        {
                            case '-':
                                return !set || (nullIsUnset && value.Length == 0) ? word : value;
                            case '+':
                                return !set || (nullIsUnset && value.Length == 0) ? "" : word;
                            case '?':
                                if (!set)
                                {
                                    throw Error($"{name}: {(word.Length > 0 ? word : "is not allowed to be unset")}");
                                }

                                if (nullIsUnset && value.Length == 0)
                                {
                                    throw Error($"{name}: {(word.Length > 0 ? word : "is not allowed to be empty")}");
                                }

                                return value;
                            case '%':
                            case '#':
                                {
                                    var greedy = false;
                                    if (word.Length > 0 && word[0] == ch)
                                    {
                                        greedy = true;
                                        word = word[1..];
                                    }

                                    var pattern = ShellPattern.Compile(word, options.EscapeToken);
                                    return ch == '%' ? pattern.TrimSuffix(value, greedy) : pattern.TrimPrefix(value, greedy);
                                }

                            default:
                                throw Error($"unsupported modifier ({chs}) in substitution");
                        }
                    }

                default:
                    throw Error($"unsupported modifier ({chs}) in substitution");
            }
        }

        private (string Word, List<string> Words) ProcessModifierWord(bool rawEscapes)
        {
            try
            {
                return ProcessStopOnAny(['}'], rawEscapes, out _);
            }
            catch (DockerfileException) when (Peek() == Eof)
            {
                throw Error("syntax error: missing '}'");
            }
        }

        private string ProcessReplace(string name)
        {
            var replaceAll = Peek() == '/';
            if (replaceAll)
            {
                Next();
            }

            string pattern;
            int stopped;
            try
            {
                (pattern, _) = ProcessStopOnAny(['/', '}'], true, out stopped);
            }
            catch (DockerfileException) when (Peek() == Eof)
            {
                throw Error("syntax error: missing '}'");
            }

            var replacement = "";
            if (stopped == '/')
            {
                (replacement, _) = ProcessModifierWord(true);
            }

            var (value, set) = GetEnv(name);
            if (options.SkipUnsetEnv && !set)
            {
                return "${" + name + "/" + (replaceAll ? "/" : "") + pattern + (stopped == '/' ? "/" + replacement : "") + "}";
            }

            return ShellPattern.Compile(pattern, options.EscapeToken).Replace(value, replacement, replaceAll);
        }

        private string ProcessName()
        {
            var name = new StringBuilder();
            while (Peek() != Eof)
            {
                var ch = (char)Peek();
                if (name.Length == 0 && char.IsDigit(ch))
                {
                    while (Peek() != Eof && char.IsDigit((char)Peek()))
                    {
                        name.Append((char)Next());
                    }

                    return name.ToString();
                }

                if (name.Length == 0 && IsSpecialParam(ch))
                {
                    Next();
                    return ch.ToString();
                }

                if (!char.IsLetter(ch) && !char.IsDigit(ch) && ch != '_')
                {
                    break;
                }

                name.Append((char)Next());
            }

            return name.ToString();
        }

        private static bool IsSpecialParam(char c) => c is '@' or '*' or '#' or '?' or '-' or '$' or '!' or '0';

        private (string Value, bool Found) GetEnv(string name, bool recordUnmatched = true)
        {
            if (env.TryGetValue(name, out var value))
            {
                Matched.Add(name);
                return (value ?? "", true);
            }

            if (recordUnmatched)
            {
                Unmatched.Add(name);
            }

            return ("", false);
        }
    }
}
