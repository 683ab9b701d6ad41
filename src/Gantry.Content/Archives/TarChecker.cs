// Owns: checking, as bytes stream past, that they form a well-formed tar archive (header checksums, entry sizes, no truncation).
using Gantry.Oci;

namespace Gantry.Content.Archives;

/// <summary>
/// Follows a tar stream's 512-byte headers without buffering entries: each header's checksum must be right, and the stream
/// must not end inside an entry. Call <see cref="Feed"/> with every chunk, then <see cref="Complete"/>.
/// </summary>
public sealed class TarChecker(string what)
{
    private readonly byte[] _header = new byte[512];
    private int _headerFill;
    private long _skip;
    private bool _ended;
    private long _offset;

    public int Entries { get; private set; }

    public void Feed(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            if (_ended)
            {
                _offset += data.Length;
                return;
            }

            if (_skip > 0)
            {
                var n = (int)Math.Min(_skip, data.Length);
                _skip -= n;
                _offset += n;
                data = data[n..];
                continue;
            }

            var take = Math.Min(512 - _headerFill, data.Length);
            data[..take].CopyTo(_header.AsSpan(_headerFill));
            _headerFill += take;
            _offset += take;
            data = data[take..];
            if (_headerFill == 512)
            {
                _headerFill = 0;
                ParseHeader();
            }
        }
    }

    private void ParseHeader()
    {
        if (_header.AsSpan().IndexOfAnyExcept((byte)0) < 0)
        {
            _ended = true;
            return;
        }

        long sum = 0;
        for (var i = 0; i < 512; i++)
        {
            sum += i is >= 148 and < 156 ? (byte)' ' : _header[i];
        }

        var stored = ParseOctal(_header.AsSpan(148, 8));
        if (stored != sum)
        {
            throw new GantryException($"{what} is not a valid tar archive (bad header checksum at byte {_offset - 512}): check the file is an uncompressed or gzip-compressed tar and not truncated or corrupt");
        }

        var size = ParseSize(_header.AsSpan(124, 12));
        var type = _header[156];
        if (type is (byte)'1' or (byte)'2' or (byte)'3' or (byte)'4' or (byte)'5' or (byte)'6')
        {
            size = 0;
        }

        Entries++;
        _skip = (size + 511) / 512 * 512;
    }

    private static long ParseSize(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            long value = field[0] & 0x7f;
            for (var i = 1; i < field.Length; i++)
            {
                value = (value << 8) | field[i];
            }

            return value;
        }

        return ParseOctal(field);
    }

    private static long ParseOctal(ReadOnlySpan<byte> field)
    {
        long value = 0;
        foreach (var b in field)
        {
            if (b is (byte)' ' or 0)
            {
                if (value != 0)
                {
                    break;
                }

                continue;
            }

            if (b is < (byte)'0' or > (byte)'7')
            {
                return -1;
            }

            value = (value * 8) + (b - '0');
        }

        return value;
    }

    /// <summary>Throws when the archive ended inside a header or an entry, or was empty.</summary>
    public void Complete()
    {
        if (_skip > 0 || _headerFill > 0)
        {
            throw new GantryException($"{what} is truncated (it ends inside a tar entry at byte {_offset}): copy the complete archive and try again");
        }

        if (Entries == 0 && !_ended)
        {
            throw new GantryException($"{what} is empty or not a tar archive");
        }
    }
}
