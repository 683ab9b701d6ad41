// Owns: docker-style human sizes ("4.26MB", decimal units, 3 significant digits) and durations ("2 hours ago").
using System.Globalization;

namespace Gantry.Cli.Output;

public static class HumanUnits
{
    private static readonly string[] DecimalUnits = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

    /// <summary>go-units HumanSizeWithPrecision(size, 3): "0B", "123kB", "4.26MB".</summary>
    public static string Size(double size)
    {
        var i = 0;
        while (size >= 1000 && i < DecimalUnits.Length - 1)
        {
            size /= 1000;
            i++;
        }

        return GoG3(size) + DecimalUnits[i];
    }

    /// <summary>Go's %.3g.</summary>
    private static string GoG3(double value)
    {
        var s = value.ToString("G3", CultureInfo.InvariantCulture);
        return s.Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);
    }

    /// <summary>go-units HumanDuration.</summary>
    public static string Duration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < 1)
        {
            return "Less than a second";
        }

        if (seconds == 1)
        {
            return "1 second";
        }

        if (seconds < 60)
        {
            return $"{seconds} seconds";
        }

        var minutes = (long)d.TotalMinutes;
        if (minutes == 1)
        {
            return "About a minute";
        }

        if (minutes < 60)
        {
            return $"{minutes} minutes";
        }

        var hours = (long)Math.Round(d.TotalHours, MidpointRounding.AwayFromZero);
        if (hours == 1)
        {
            return "About an hour";
        }

        if (hours < 48)
        {
            return $"{hours} hours";
        }

        if (hours < 24 * 7 * 2)
        {
            return $"{hours / 24} days";
        }

        if (hours < 24 * 30 * 2)
        {
            return $"{hours / 24 / 7} weeks";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24 / 30} months";
        }

        return $"{(long)d.TotalHours / 24 / 365} years";
    }

    /// <summary>"2 hours ago", or "N/A" for an unknown time, as docker's CreatedSince.</summary>
    public static string Ago(DateTimeOffset? time) =>
        time is null || time.Value.ToUnixTimeSeconds() <= 0 ? "N/A" : Duration(DateTimeOffset.UtcNow - time.Value) + " ago";

    /// <summary>Go's time.Time String() in local time: "2023-11-14 22:13:20 +0000 UTC".</summary>
    public static string GoTime(DateTimeOffset? time)
    {
        if (time is null)
        {
            return "0001-01-01 00:00:00 +0000 UTC";
        }

        var local = time.Value.ToLocalTime();
        var offset = local.Offset;
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var zone = offset == TimeSpan.Zero ? "UTC" : TimeZoneInfo.Local.StandardName;
        return local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + $" {sign}{Math.Abs(offset.Hours):00}{Math.Abs(offset.Minutes):00} {zone}";
    }

    /// <summary>RFC 3339 with nanosecond precision trimmed, as docker's JSON times.</summary>
    public static string Rfc3339(DateTimeOffset? time) =>
        time is null ? "0001-01-01T00:00:00Z" : time.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
