// Owns: rendering rows for docker's --format: the default table, "table TEMPLATE", "json", or a raw Go template.
using System.Text;
using System.Text.Json.Nodes;

namespace Gantry.Cli.Output;

/// <summary>
/// Renders a list of rows (JSON objects with docker's field names) the way docker's formatter does:
/// <c>""</c>/<c>table</c> → the verb's default table; <c>table {{.A}}\t{{.B}}</c> → a header from <paramref name="headers"/>
/// then aligned rows; <c>json</c> → one compact JSON object per line; anything else → the template per row.
/// </summary>
public static class OutputFormat
{
    /// <param name="format">The --format value (null or empty for the default).</param>
    /// <param name="defaultTable">The verb's default, e.g. <c>table {{.Repository}}\t{{.Tag}}</c>.</param>
    /// <param name="headers">Field → header label (e.g. ID → "IMAGE ID"); fields not listed use their name upper-cased.</param>
    /// <param name="rows">The data rows.</param>
    public static string Render(string? format, string defaultTable, IReadOnlyDictionary<string, string> headers, IEnumerable<JsonObject> rows)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rows);
        format = string.IsNullOrEmpty(format) || format == "table" ? defaultTable : format;
        if (format == "json")
        {
            var sb = new StringBuilder();
            foreach (var row in rows)
            {
                sb.Append(GoTemplate.Json(row)).Append('\n');
            }

            return sb.ToString();
        }

        var isTable = format.StartsWith("table", StringComparison.Ordinal) && (format.Length == 5 || char.IsWhiteSpace(format[5]));
        var body = Unescape(isTable ? format[5..].TrimStart() : format);
        var template = GoTemplate.Parse(body);
        var lines = new List<string>();
        if (isTable)
        {
            var header = new JsonObject();
            foreach (var (key, label) in headers)
            {
                header[key] = label;
            }

            lines.Add(template.Execute(new HeaderNode(header).Node));
        }

        foreach (var row in rows)
        {
            lines.Add(template.Execute(row));
        }

        if (isTable)
        {
            return TableWriter.Align(lines);
        }

        var output = new StringBuilder();
        foreach (var line in lines)
        {
            output.Append(line).Append('\n');
        }

        return output.ToString();
    }

    /// <summary>docker turns the two characters \t and \n in a --format argument into a tab and a newline.</summary>
    public static string Unescape(string format) =>
        format.Replace("\\t", "\t", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);

    /// <summary>Renders a single object with a template (inspect --format).</summary>
    public static string RenderOne(string format, JsonNode? value) => GoTemplate.Parse(Unescape(format)).Execute(value);

    private sealed record HeaderNode(JsonObject Node);
}
