// Owns: reading tar streams (ustar, GNU long names, PAX records with raw-byte xattrs) with a large read buffer and zero-copy data spans.
using System.Globalization;
using System.Text;
using Gantry.Oci;

namespace Gantry.Snapshots.Tar;

internal sealed class TarReader
{
    private const int Block = 512;
    private readonly Stream _input;
    private readonly string _what;
    private readonly byte[] _buffer = new byte[1024 * 1024];
    private int _start;
    private int _end;
    private long _dataRemaining;
    private long _padRemaining;
    private Dictionary<string, byte[]>? _global;

    public TarReader(Stream input, string what)
    {
        _input = input;
        _what = what;
    }

    /// <summary>Reads the next entry header (skipping unread data of the previous one); null at the end of the archive.</summary>
    public TarHeader? Next()
    {
        SkipRemaining();
        Dictionary<string, byte[]>? pax = null;
        string? longName = null;
        string? longLink = null;
        while (true)
        {
            if (!Fill(Block))
            {
                if (_end - _start == 0)
                {
                    return null; // EOF without end marker: tolerated, like GNU tar and Go.
                }

                throw Corrupt("the archive ends in the middle of a header");
            }

            var block = _buffer.AsSpan(_start, Block);
            if (block.IndexOfAnyExcept((byte)0) < 0)
            {
                _start += Block;
                return null;
            }

            VerifyChecksum(block);
            var type = block[156];
            var size = ParseNumber(block.Slice(124, 12), "size");
            if (size < 0)
            {
                throw Corrupt("an entry has a negative size");
            }

            _start += Block;
            switch (type)
            {
                case TarEntryType.PaxExtended:
                case TarEntryType.PaxGlobal:
                {
                    var records = ParsePax(ReadSmall(size, "PAX header"));
                    if (type == TarEntryType.PaxGlobal)
                    {
                        _global ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
                        foreach (var (k, v) in records)
                        {
                            _global[k] = v;
                        }
                    }
                    else
                    {
                        pax = records;
                    }

                    continue;
                }

                case TarEntryType.GnuLongName:
                    longName = CString(ReadSmall(size, "GNU long name"));
                    continue;
                case TarEntryType.GnuLongLink:
                    longLink = CString(ReadSmall(size, "GNU long link name"));
                    continue;
                default:
                    break;
            }

            var header = new TarHeader
            {
                Type = type,
                Size = size,
                Mode = (int)(ParseNumber(block.Slice(100, 8), "mode") & 0xFFF),
                Uid = (int)ParseNumber(block.Slice(108, 8), "uid"),
                Gid = (int)ParseNumber(block.Slice(116, 8), "gid"),
                MtimeSeconds = ParseNumber(block.Slice(136, 12), "mtime"),
                LinkName = CString(block.Slice(157, 100)),
            };
            var isUstar = block.Slice(257, 6).SequenceEqual("ustar\0"u8);
            var isGnu = block.Slice(257, 8).SequenceEqual("ustar  \0"u8);
            var name = CString(block[..100]);
            if (isUstar || isGnu)
            {
                header.Uname = CString(block.Slice(265, 32));
                header.Gname = CString(block.Slice(297, 32));
                header.DevMajor = (uint)ParseNumber(block.Slice(329, 8), "devmajor");
                header.DevMinor = (uint)ParseNumber(block.Slice(337, 8), "devminor");
                if (isUstar && block[345] != 0)
                {
                    name = CString(block.Slice(345, 155)) + "/" + name;
                }
            }

            header.Name = longName ?? name;
            if (longLink is not null)
            {
                header.LinkName = longLink;
            }

            if (_global is not null)
            {
                Apply(header, _global);
            }

            if (pax is not null)
            {
                Apply(header, pax);
            }

            if (type == TarEntryType.GnuSparse)
            {
                throw new GantryException($"{_what}: entry '{header.Name}' is a GNU sparse file, which layers may not contain; rebuild the layer without --sparse.");
            }

            _dataRemaining = header.Size;
            _padRemaining = (Block - (header.Size % Block)) % Block;
            return header;
        }
    }

    /// <summary>Returns the next span of the current entry's data (empty when the entry is exhausted).</summary>
    public ReadOnlySpan<byte> ReadData()
    {
        if (_dataRemaining == 0)
        {
            return default;
        }

        if (_end == _start && !FillSome())
        {
            throw Corrupt("the archive ends in the middle of a file's data");
        }

        var n = (int)Math.Min(_dataRemaining, _end - _start);
        var span = _buffer.AsSpan(_start, n);
        _start += n;
        _dataRemaining -= n;
        return span;
    }

    /// <summary>Reads whatever follows the end-of-archive marker so the whole stream is hashed.</summary>
    public void Drain()
    {
        _start = _end = 0;
        while (_input.Read(_buffer, 0, _buffer.Length) > 0)
        {
        }
    }

    private void SkipRemaining()
    {
        while (_dataRemaining > 0)
        {
            ReadData();
        }

        while (_padRemaining > 0)
        {
            if (_end == _start && !FillSome())
            {
                throw Corrupt("the archive ends in the middle of a file's padding");
            }

            var n = (int)Math.Min(_padRemaining, _end - _start);
            _start += n;
            _padRemaining -= n;
        }
    }

    private byte[] ReadSmall(long size, string what)
    {
        if (size > 16 * 1024 * 1024)
        {
            throw Corrupt($"a {what} of {size} bytes is larger than 16 MiB");
        }

        var result = new byte[size];
        var offset = 0;
        _dataRemaining = size;
        while (_dataRemaining > 0)
        {
            var span = ReadData();
            span.CopyTo(result.AsSpan(offset));
            offset += span.Length;
        }

        _padRemaining = (Block - (size % Block)) % Block;
        SkipRemaining();
        return result;
    }

    private bool FillSome()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }

        if (_end == _buffer.Length)
        {
            Compact();
        }

        var n = _input.Read(_buffer, _end, _buffer.Length - _end);
        _end += n;
        return n > 0;
    }

    private bool Fill(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        Compact();
        while (_end - _start < count)
        {
            var n = _input.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0)
            {
                return false;
            }

            _end += n;
        }

        return true;
    }

    private void Compact()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
    }

    private void Apply(TarHeader header, Dictionary<string, byte[]> records)
    {
        foreach (var (key, value) in records)
        {
            switch (key)
            {
                case "path":
                    header.Name = Encoding.UTF8.GetString(value);
                    break;
                case "linkpath":
                    header.LinkName = Encoding.UTF8.GetString(value);
                    break;
                case "size":
                    header.Size = ParseDecimal(value, key);
                    break;
                case "uid":
                    header.Uid = (int)ParseDecimal(value, key);
                    break;
                case "gid":
                    header.Gid = (int)ParseDecimal(value, key);
                    break;
                case "uname":
                    header.Uname = Encoding.UTF8.GetString(value);
                    break;
                case "gname":
                    header.Gname = Encoding.UTF8.GetString(value);
                    break;
                case "mtime":
                {
                    var text = Encoding.ASCII.GetString(value);
                    var dot = text.IndexOf('.', StringComparison.Ordinal);
                    header.MtimeSeconds = long.Parse(dot < 0 ? text : text[..dot], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                    if (dot >= 0)
                    {
                        var frac = (text[(dot + 1)..] + "000000000")[..9];
                        header.MtimeNanoseconds = int.Parse(frac, NumberStyles.None, CultureInfo.InvariantCulture);
                        if (header.MtimeSeconds < 0 || text.StartsWith('-'))
                        {
                            header.MtimeNanoseconds = 0;
                        }
                    }

                    break;
                }

                default:
                    if (key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))
                    {
                        header.Xattrs ??= new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
                        header.Xattrs[key["SCHILY.xattr.".Length..]] = value;
                    }
                    else if (key.StartsWith("GNU.sparse.", StringComparison.Ordinal))
                    {
                        throw new GantryException($"{_what}: entry '{header.Name}' is a PAX sparse file, which layers may not contain; rebuild the layer without --sparse.");
                    }

                    break;
            }
        }
    }

    private Dictionary<string, byte[]> ParsePax(byte[] data)
    {
        var records = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var span = data.AsSpan();
        while (!span.IsEmpty)
        {
            if (span[0] == 0)
            {
                break;
            }

            var space = span.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(Encoding.ASCII.GetString(span[..space]), NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length <= space + 1 || length > span.Length)
            {
                throw Corrupt("a PAX extended header record is malformed");
            }

            var record = span[(space + 1)..length];
            if (record[^1] != (byte)'\n')
            {
                throw Corrupt("a PAX extended header record does not end with a newline");
            }

            record = record[..^1];
            var eq = record.IndexOf((byte)'=');
            if (eq <= 0)
            {
                throw Corrupt("a PAX extended header record has no key");
            }

            records[Encoding.UTF8.GetString(record[..eq])] = record[(eq + 1)..].ToArray();
            span = span[length..];
        }

        return records;
    }

    private long ParseNumber(ReadOnlySpan<byte> field, string what)
    {
        if (field.Length > 0 && (field[0] & 0x80) != 0)
        {
            // GNU base-256: big-endian two's complement with the top bit of the first byte as marker.
            long value = field[0] & 0x7f;
            if ((field[0] & 0x40) != 0)
            {
                value |= ~0x7fL; // negative
            }

            for (var i = 1; i < field.Length; i++)
            {
                if (value > (long.MaxValue >> 8) || value < (long.MinValue >> 8))
                {
                    throw Corrupt($"the {what} field overflows");
                }

                value = (value << 8) | field[i];
            }

            return value;
        }

        long result = 0;
        var started = false;
        foreach (var c in field)
        {
            if (c is (byte)' ' or 0)
            {
                if (started)
                {
                    break;
                }

                continue;
            }

            if (c is < (byte)'0' or > (byte)'7')
            {
                throw Corrupt($"the {what} field holds '{Encoding.ASCII.GetString(field).Trim('\0', ' ')}', which is not an octal number");
            }

            started = true;
            result = (result << 3) | (long)(c - '0');
        }

        return result;
    }

    private long ParseDecimal(byte[] value, string key) =>
        long.TryParse(Encoding.ASCII.GetString(value), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw Corrupt($"the PAX '{key}' record is not a number");

    private void VerifyChecksum(ReadOnlySpan<byte> block)
    {
        var stored = ParseNumber(block.Slice(148, 8), "checksum");
        long unsigned = 0;
        long signed = 0;
        for (var i = 0; i < Block; i++)
        {
            var c = i is >= 148 and < 156 ? (byte)' ' : block[i];
            unsigned += c;
            signed += (sbyte)c;
        }

        if (stored != unsigned && stored != signed)
        {
            throw Corrupt("a header checksum does not match (not a tar archive, or a corrupt one)");
        }
    }

    private static string CString(ReadOnlySpan<byte> field)
    {
        var nul = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? field : field[..nul]);
    }

    private GantryException Corrupt(string detail) =>
        new($"{_what} is not a valid layer tar: {detail}; pull or rebuild the image to get an intact copy.");
}
