// Owns: validating repository names against the distribution spec's grammar (which also rules out path traversal).
namespace Gantry.Registry.Server.Http;

/// <summary>
/// Repository names per the OCI distribution spec:
/// <c>[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*</c>, at most 255 characters.
/// A valid name never contains "..", a leading '/', or a component starting with '_' or '.', so it is safe as a relative path.
/// </summary>
public static class RepositoryName
{
    public const int MaxLength = 255;

    public static bool IsValid(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxLength)
        {
            return false;
        }

        foreach (var range in name.Split('/'))
        {
            if (!IsValidComponent(name[range]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidComponent(ReadOnlySpan<char> c)
    {
        // component := alnum+ (separator alnum+)*, separator := '.' | '_' | '__' | '-'+
        if (c.IsEmpty || !IsAlnum(c[0]) || !IsAlnum(c[^1]))
        {
            return false;
        }

        var i = 0;
        while (i < c.Length)
        {
            if (IsAlnum(c[i]))
            {
                i++;
                continue;
            }

            var start = i;
            var ch = c[i];
            while (i < c.Length && c[i] == ch)
            {
                i++;
            }

            var run = i - start;
            var ok = ch switch
            {
                '.' => run == 1,
                '_' => run is 1 or 2,
                '-' => true,
                _ => false,
            };
            if (!ok || i >= c.Length || !IsAlnum(c[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAlnum(char ch) => ch is (>= 'a' and <= 'z') or (>= '0' and <= '9');

    /// <summary>Tags: <c>[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}</c>.</summary>
    public static bool IsValidTag(ReadOnlySpan<char> tag)
    {
        if (tag.IsEmpty || tag.Length > 128)
        {
            return false;
        }

        for (var i = 0; i < tag.Length; i++)
        {
            var ch = tag[i];
            var ok = char.IsAsciiLetterOrDigit(ch) || ch == '_' || (i > 0 && ch is '.' or '-');
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
