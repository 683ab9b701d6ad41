// Owns: aligning tab-separated cells into columns the way Go's text/tabwriter does for docker (minwidth 10, padding 3).
using System.Text;

namespace Gantry.Cli.Output;

/// <summary>Go tabwriter.NewWriter(out, 10, 1, 3, ' ', 0): cells end at '\t'; the text after a line's last tab is not aligned.</summary>
public static class TableWriter
{
    public static string Align(IEnumerable<string> lines, int minWidth = 10, int padding = 3)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var rows = lines.Select(l => l.Split('\t')).ToList();
        var sb = new StringBuilder();
        // Go's tabwriter aligns a column across a block of consecutive lines that have that column.
        var i = 0;
        while (i < rows.Count)
        {
            var j = i;
            while (j < rows.Count && rows[j].Length > 1)
            {
                j++;
            }

            if (j == i)
            {
                sb.Append(rows[i][0]).Append('\n');
                i++;
                continue;
            }

            var block = rows.GetRange(i, j - i);
            var columns = block.Max(r => r.Length) - 1;
            var widths = new int[columns];
            for (var c = 0; c < columns; c++)
            {
                var width = block.Where(r => r.Length - 1 > c).Select(r => r[c].Length + padding).DefaultIfEmpty(0).Max();
                widths[c] = Math.Max(width, minWidth);
            }

            foreach (var row in block)
            {
                for (var c = 0; c < row.Length - 1; c++)
                {
                    sb.Append(row[c]).Append(' ', widths[c] - row[c].Length);
                }

                sb.Append(row[^1]).Append('\n');
            }

            i = j;
        }

        return sb.ToString();
    }
}
