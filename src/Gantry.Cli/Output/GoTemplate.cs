// Owns: a small Go text/template work-alike over JSON data, for docker's --format ({{.Field}}, {{json .}}, range/if/with, join, …).
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gantry.Oci;

namespace Gantry.Cli.Output;

/// <summary>
/// Parses and runs the subset of Go templates docker users write: fields (<c>.A.B</c>, <c>$</c>), string/number literals,
/// pipelines, <c>range</c>/<c>if</c>/<c>with</c>/<c>else</c>/<c>end</c>, trim markers, and docker's functions
/// json, join, split, upper, lower, title, len, index, println, print, truncate, pad, eq, ne, not.
/// </summary>
public sealed class GoTemplate
{
    private readonly List<Node> _nodes;

    private GoTemplate(List<Node> nodes, string source)
    {
        _nodes = nodes;
        Source = source;
    }

    public string Source { get; }

    public static GoTemplate Parse(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var tokens = Tokenize(template);
        var pos = 0;
        var nodes = ParseList(tokens, ref pos, template, out var terminator);
        if (terminator is not null)
        {
            throw Error(template, $"unexpected {{{{{terminator}}}}}");
        }

        return new GoTemplate(nodes, template);
    }

    public string Execute(JsonNode? data)
    {
        var sb = new StringBuilder();
        Run(_nodes, data, data, sb);
        return sb.ToString();
    }

    private static GantryException Error(string template, string what) =>
        new($"template parsing error in --format '{template}': {what}");

    private abstract record Node;

    private sealed record TextNode(string Text) : Node;

    private sealed record ActionNode(string Pipeline) : Node;

    private sealed record BlockNode(string Kind, string Pipeline, List<Node> Body, List<Node>? Else) : Node;

    private sealed record Token(bool IsAction, string Text);

    private static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>();
        var i = 0;
        var trimNextText = false;
        while (i < s.Length)
        {
            var open = s.IndexOf("{{", i, StringComparison.Ordinal);
            var text = open < 0 ? s[i..] : s[i..open];
            if (trimNextText)
            {
                text = text.TrimStart();
            }

            if (open < 0)
            {
                tokens.Add(new Token(false, text));
                break;
            }

            var close = s.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw Error(s, "unclosed action (missing '}}')");
            }

            var inner = s[(open + 2)..close];
            if (inner.StartsWith("- ", StringComparison.Ordinal) || inner == "-")
            {
                text = text.TrimEnd();
                inner = inner[1..];
            }

            trimNextText = false;
            if (inner.EndsWith(" -", StringComparison.Ordinal))
            {
                trimNextText = true;
                inner = inner[..^1];
            }

            tokens.Add(new Token(false, text));
            tokens.Add(new Token(true, inner.Trim()));
            i = close + 2;
        }

        return tokens;
    }

    private static List<Node> ParseList(List<Token> tokens, ref int pos, string source, out string? terminator)
    {
        var nodes = new List<Node>();
        while (pos < tokens.Count)
        {
            var t = tokens[pos++];
            if (!t.IsAction)
            {
                if (t.Text.Length > 0)
                {
                    nodes.Add(new TextNode(t.Text));
                }

                continue;
            }

            var text = t.Text;
            if (text.StartsWith("/*", StringComparison.Ordinal))
            {
                continue;
            }

            if (text is "end" or "else")
            {
                terminator = text;
                return nodes;
            }

            var keyword = text.Split(' ', 2)[0];
            if (keyword is "range" or "if" or "with")
            {
                var pipeline = text.Length > keyword.Length ? text[keyword.Length..].Trim() : throw Error(source, $"missing value for {keyword}");
                var body = ParseList(tokens, ref pos, source, out var term);
                List<Node>? elseBody = null;
                if (term == "else")
                {
                    elseBody = ParseList(tokens, ref pos, source, out term);
                }

                if (term != "end")
                {
                    throw Error(source, $"unexpected EOF: {{{{{keyword}}}}} needs {{{{end}}}}");
                }

                nodes.Add(new BlockNode(keyword, pipeline, body, elseBody));
                continue;
            }

            nodes.Add(new ActionNode(text));
        }

        terminator = null;
        return nodes;
    }

    private void Run(List<Node> nodes, JsonNode? dot, JsonNode? root, StringBuilder sb)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case TextNode t:
                    sb.Append(t.Text);
                    break;
                case ActionNode a:
                    sb.Append(Print(EvalPipeline(a.Pipeline, dot, root)));
                    break;
                case BlockNode { Kind: "if" } b:
                    Run(Truthy(EvalPipeline(b.Pipeline, dot, root)) ? b.Body : b.Else ?? [], dot, root, sb);
                    break;
                case BlockNode { Kind: "with" } b:
                    var value = EvalPipeline(b.Pipeline, dot, root);
                    if (Truthy(value))
                    {
                        Run(b.Body, value, root, sb);
                    }
                    else if (b.Else is not null)
                    {
                        Run(b.Else, dot, root, sb);
                    }

                    break;
                case BlockNode b:
                    var list = EvalPipeline(b.Pipeline, dot, root);
                    var items = list switch
                    {
                        JsonArray arr => arr.ToList(),
                        JsonObject obj => obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList(),
                        _ => [],
                    };
                    if (items.Count == 0 && b.Else is not null)
                    {
                        Run(b.Else, dot, root, sb);
                    }

                    foreach (var item in items)
                    {
                        Run(b.Body, item, root, sb);
                    }

                    break;
            }
        }
    }

    private JsonNode? EvalPipeline(string pipeline, JsonNode? dot, JsonNode? root)
    {
        JsonNode? value = null;
        var first = true;
        foreach (var command in SplitOutsideQuotes(pipeline, '|'))
        {
            var args = SplitOutsideQuotes(command.Trim(), ' ').Where(a => a.Length > 0).ToList();
            if (args.Count == 0)
            {
                throw Error(Source, $"missing command in '{pipeline}'");
            }

            value = EvalCommand(args, dot, root, first ? null : value, !first);
            first = false;
        }

        return value;
    }

    private JsonNode? EvalCommand(List<string> args, JsonNode? dot, JsonNode? root, JsonNode? piped, bool hasPiped)
    {
        var head = args[0];
        if (!IsFunction(head))
        {
            if (args.Count > 1 || hasPiped)
            {
                throw Error(Source, $"can't give argument to non-function {head}");
            }

            return EvalArg(head, dot, root);
        }

        var values = args.Skip(1).Select(a => EvalArg(a, dot, root)).ToList();
        if (hasPiped)
        {
            values.Add(piped);
        }

        return Call(head, values);
    }

    private static bool IsFunction(string token) => token.Length > 0 && char.IsAsciiLetter(token[0]) && token is not ("true" or "false" or "nil");

    private JsonNode? EvalArg(string token, JsonNode? dot, JsonNode? root)
    {
        if (token == ".")
        {
            return dot;
        }

        if (token.StartsWith('.'))
        {
            return Field(dot, token[1..]);
        }

        if (token == "$")
        {
            return root;
        }

        if (token.StartsWith("$.", StringComparison.Ordinal))
        {
            return Field(root, token[2..]);
        }

        if (token.StartsWith('"') && token.EndsWith('"') && token.Length >= 2)
        {
            return JsonValue.Create(Unescape(token[1..^1]));
        }

        if (token.StartsWith('`') && token.EndsWith('`') && token.Length >= 2)
        {
            return JsonValue.Create(token[1..^1]);
        }

        if (token is "true" or "false")
        {
            return JsonValue.Create(token == "true");
        }

        if (token == "nil")
        {
            return null;
        }

        if (long.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }

        throw Error(Source, $"function \"{token}\" not defined");
    }

    private static readonly JsonValue Missing = JsonValue.Create("<no value>");

    private JsonNode? Field(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            if (node is JsonObject obj)
            {
                if (!obj.TryGetPropertyValue(part, out node))
                {
                    return Missing;
                }
            }
            else if (node is null)
            {
                return null;
            }
            else
            {
                throw new GantryException($"template: --format '{Source}': can't evaluate field {part} in type {Kind(node)}");
            }
        }

        return node;
    }

    private static string Kind(JsonNode node) => node switch
    {
        JsonArray => "[]interface {}",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => "string",
        _ => "interface {}",
    };

    private JsonNode? Call(string name, List<JsonNode?> a)
    {
        switch (name)
        {
            case "json":
                return JsonValue.Create(Json(a.Count > 0 ? a[^1] : null));
            case "join":
                Need(name, a, 2);
                return JsonValue.Create(string.Join(Print(a[1]), Items(a[0]).Select(Print)));
            case "split":
                Need(name, a, 2);
                return new JsonArray([.. Print(a[0]).Split(Print(a[1])).Select(s => (JsonNode?)JsonValue.Create(s))]);
            case "upper":
                return JsonValue.Create(Print(a.LastOrDefault()).ToUpperInvariant());
            case "lower":
                return JsonValue.Create(Print(a.LastOrDefault()).ToLowerInvariant());
            case "title":
                var s = Print(a.LastOrDefault());
                return JsonValue.Create(s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..]);
            case "len":
                return JsonValue.Create((long)(a.LastOrDefault() switch
                {
                    JsonArray arr => arr.Count,
                    JsonObject obj => obj.Count,
                    var v => Print(v).Length,
                }));
            case "index":
                Need(name, a, 2);
                var target = a[0];
                foreach (var key in a.Skip(1))
                {
                    target = target switch
                    {
                        JsonArray arr when long.TryParse(Print(key), out var idx) => idx >= 0 && idx < arr.Count ? arr[(int)idx] : throw new GantryException($"template: --format '{Source}': index out of range: {idx}"),
                        JsonObject obj => obj.TryGetPropertyValue(Print(key), out var v) ? v : null,
                        _ => null,
                    };
                }

                return target;
            case "print":
                return JsonValue.Create(string.Concat(a.Select(Print)));
            case "println":
                return JsonValue.Create(string.Join(' ', a.Select(Print)) + "\n");
            case "truncate":
                Need(name, a, 2);
                var text = Print(a[0]);
                var max = int.Parse(Print(a[1]), CultureInfo.InvariantCulture);
                return JsonValue.Create(text.Length > max ? text[..max] : text);
            case "pad":
                Need(name, a, 3);
                return JsonValue.Create(new string(' ', int.Parse(Print(a[1]), CultureInfo.InvariantCulture)) + Print(a[0]) + new string(' ', int.Parse(Print(a[2]), CultureInfo.InvariantCulture)));
            case "eq":
                Need(name, a, 2);
                return JsonValue.Create(a.Skip(1).Any(x => Print(x) == Print(a[0])));
            case "ne":
                Need(name, a, 2);
                return JsonValue.Create(Print(a[0]) != Print(a[1]));
            case "not":
                return JsonValue.Create(!Truthy(a.LastOrDefault()));
            default:
                throw Error(Source, $"function \"{name}\" not defined");
        }
    }

    private void Need(string name, List<JsonNode?> a, int count)
    {
        if (a.Count < count)
        {
            throw new GantryException($"template: --format '{Source}': wrong number of args for {name}: want {count} got {a.Count}");
        }
    }

    private static IEnumerable<JsonNode?> Items(JsonNode? node) => node switch
    {
        JsonArray arr => arr,
        null => [],
        var other => [other],
    };

    /// <summary>Go's %v of a JSON value: strings raw, arrays "[a b]", objects "map[k:v]", null "&lt;nil&gt;".</summary>
    public static string Print(JsonNode? node) => node switch
    {
        null => "<nil>",
        JsonArray arr => "[" + string.Join(' ', arr.Select(Print)) + "]",
        JsonObject obj => "map[" + string.Join(' ', obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + Print(p.Value))) + "]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValueKind() == JsonValueKind.True ? "true" : "false",
        _ => Json(node),
    };

    /// <summary>Compact JSON without HTML escaping, as docker's json template function writes.</summary>
    public static string Json(JsonNode? node)
    {
        if (node is null)
        {
            return "null";
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            node.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static bool Truthy(JsonNode? node) => node switch
    {
        null => false,
        JsonArray arr => arr.Count > 0,
        JsonObject obj => obj.Count > 0,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.False or JsonValueKind.Null => false,
            JsonValueKind.String => v.GetValue<string>().Length > 0 && !ReferenceEquals(v, Missing),
            JsonValueKind.Number => Print(v) != "0",
            _ => true,
        },
        _ => true,
    };

    private static string Unescape(string s) =>
        s.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\t", "\t", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);

    private static List<string> SplitOutsideQuotes(string s, char separator)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        char quote = '\0';
        var depth = 0;
        foreach (var c in s)
        {
            if (quote != '\0')
            {
                current.Append(c);
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '`')
            {
                quote = c;
                current.Append(c);
            }
            else if (c == '(')
            {
                depth++;
                current.Append(c);
            }
            else if (c == ')')
            {
                depth--;
                current.Append(c);
            }
            else if (c == separator && depth == 0)
            {
                parts.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        parts.Add(current.ToString());
        return parts;
    }
}
