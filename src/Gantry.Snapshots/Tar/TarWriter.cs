// Owns: writing deterministic tar streams as Go's archive/tar does (USTAR, PAX records only when needed, raw-byte xattrs).
using System.Buffers;
using System.Globalization;
using System.Text;

namespace Gantry.Snapshots.Tar;

internal sealed class TarWriter(Stream output)
{
    private const int Block = 512;
    private readonly byte[] _block = new byte[Block];

    public long EntriesWritten { get; private set; }

    public void WriteHeader(TarHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var pax = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var nameBytes = Encoding.UTF8.GetBytes(header.Name);
        var linkBytes = Encoding.UTF8.GetBytes(header.LinkName);
        byte[] namePart = nameBytes;
        byte[] prefixPart = [];
        if (nameBytes.Length > 100)
        {
            if (!TrySplit(nameBytes, out namePart, out prefixPart))
            {
                pax["path"] = nameBytes;
                namePart = nameBytes[..100];
                prefixPart = [];
            }
        }

        if (linkBytes.Length > 100)
        {
            pax["linkpath"] = linkBytes;
            linkBytes = linkBytes[..100];
        }

        if (header.Size > 0x1FFFFFFFFL)
        {
            pax["size"] = Ascii(header.Size);
        }

        if (header.Uid is < 0 or > 0x1FFFFF)
        {
            pax["uid"] = Ascii(header.Uid);
        }

        if (header.Gid is < 0 or > 0x1FFFFF)
        {
            pax["gid"] = Ascii(header.Gid);
        }

        if (header.MtimeSeconds is < 0 or > 0x1FFFFFFFFL)
        {
            pax["mtime"] = Ascii(header.MtimeSeconds);
        }

        if (header.Xattrs is not null)
        {
            foreach (var (key, value) in header.Xattrs)
            {
                pax["SCHILY.xattr." + key] = value;
            }
        }

        if (pax.Count > 0)
        {
            WritePax(header.Name, pax);
        }

        Array.Clear(_block);
        var b = _block.AsSpan();
        namePart.CopyTo(b[..100]);
        Octal(b.Slice(100, 8), header.Mode & 0xFFF);
        Octal(b.Slice(108, 8), header.Uid is < 0 or > 0x1FFFFF ? 0 : header.Uid);
        Octal(b.Slice(116, 8), header.Gid is < 0 or > 0x1FFFFF ? 0 : header.Gid);
        Octal(b.Slice(124, 12), header.Size > 0x1FFFFFFFFL ? 0 : header.Size);
        Octal(b.Slice(136, 12), header.MtimeSeconds is < 0 or > 0x1FFFFFFFFL ? 0 : header.MtimeSeconds);
        b[156] = header.Type;
        linkBytes.CopyTo(b.Slice(157, 100));
        "ustar\0"u8.CopyTo(b.Slice(257, 6));
        "00"u8.CopyTo(b.Slice(263, 2));
        CopyTruncated(header.Uname, b.Slice(265, 32));
        CopyTruncated(header.Gname, b.Slice(297, 32));
        Octal(b.Slice(329, 8), header.DevMajor);
        Octal(b.Slice(337, 8), header.DevMinor);
        prefixPart.CopyTo(b.Slice(345, 155));
        Checksum(b);
        output.Write(b);
        EntriesWritten++;
    }

    /// <summary>Writes file content and the padding to the next block; <paramref name="size"/> must equal the header's size.</summary>
    public void WriteData(Stream source, long size)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
        try
        {
            var remaining = size;
            while (remaining > 0)
            {
                var n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                if (n == 0)
                {
                    throw new IOException($"file shrank while being written into the layer ({remaining} of {size} bytes missing)");
                }

                output.Write(buffer, 0, n);
                remaining -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Pad(size);
    }

    /// <summary>
    /// Writes <paramref name="size"/> bytes read from the open file <paramref name="fd"/> (read(2) straight into the copy
    /// buffer: no stream object per file), then the padding.
    /// </summary>
    internal unsafe void WriteData(int fd, long size, string what)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(size, Block, 128 * 1024));
        try
        {
            var remaining = size;
            fixed (byte* p = buffer)
            {
                while (remaining > 0)
                {
                    var n = Native.Libc.Read(fd, p, (nint)Math.Min(buffer.Length, remaining));
                    if (n < 0)
                    {
                        var errno = Native.Libc.LastError;
                        if (errno == Native.Libc.EINTR)
                        {
                            continue;
                        }

                        throw new IOException($"cannot read {what}: {Native.Libc.ErrorText(errno)}");
                    }

                    if (n == 0)
                    {
                        throw new IOException($"{what} shrank while being written into the layer ({remaining} of {size} bytes missing)");
                    }

                    output.Write(buffer, 0, (int)n);
                    remaining -= n;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Pad(size);
    }

    public void WriteData(ReadOnlySpan<byte> data)
    {
        output.Write(data);
        Pad(data.Length);
    }

    /// <summary>The end-of-archive marker: two zero blocks.</summary>
    public void Finish()
    {
        Array.Clear(_block);
        output.Write(_block);
        output.Write(_block);
    }

    private void Pad(long size)
    {
        var rem = (int)(size % Block);
        if (rem != 0)
        {
            Array.Clear(_block);
            output.Write(_block.AsSpan(0, Block - rem));
        }
    }

    private void WritePax(string name, SortedDictionary<string, byte[]> records)
    {
        using var body = new MemoryStream();
        foreach (var (key, value) in records)
        {
            var keyBytes = Encoding.UTF8.GetBytes(key);
            var baseLength = keyBytes.Length + value.Length + 3;
            var length = baseLength + Digits(baseLength);
            if (Digits(length) != Digits(baseLength))
            {
                length = baseLength + Digits(length);
            }

            body.Write(Ascii(length));
            body.WriteByte((byte)' ');
            body.Write(keyBytes);
            body.WriteByte((byte)'=');
            body.Write(value);
            body.WriteByte((byte)'\n');
        }

        var trimmed = name.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        var paxName = slash < 0 ? "PaxHeaders.0/" + trimmed : trimmed[..slash] + "/PaxHeaders.0/" + trimmed[(slash + 1)..];
        var paxNameBytes = Encoding.UTF8.GetBytes(paxName);
        if (paxNameBytes.Length > 100)
        {
            paxNameBytes = paxNameBytes[..100];
        }

        Array.Clear(_block);
        var b = _block.AsSpan();
        paxNameBytes.CopyTo(b);
        Octal(b.Slice(100, 8), 0);
        Octal(b.Slice(108, 8), 0);
        Octal(b.Slice(116, 8), 0);
        Octal(b.Slice(124, 12), body.Length);
        Octal(b.Slice(136, 12), 0);
        b[156] = TarEntryType.PaxExtended;
        "ustar\0"u8.CopyTo(b.Slice(257, 6));
        "00"u8.CopyTo(b.Slice(263, 2));
        Octal(b.Slice(329, 8), 0);
        Octal(b.Slice(337, 8), 0);
        Checksum(b);
        output.Write(b);
        WriteData(body.GetBuffer().AsSpan(0, (int)body.Length));
    }

    private static bool TrySplit(byte[] name, out byte[] namePart, out byte[] prefixPart)
    {
        // Split at a '/' so that prefix <= 155 bytes and name <= 100 bytes (USTAR), as Go's splitUSTARPath does.
        var length = name.Length;
        var i = Math.Min(length - 1, 155);
        for (; i > 0; i--)
        {
            if (name[i] == (byte)'/' && length - i - 1 <= 100 && length - i - 1 > 0)
            {
                prefixPart = name[..i];
                namePart = name[(i + 1)..];
                return true;
            }
        }

        namePart = name;
        prefixPart = [];
        return false;
    }

    private static int Digits(int value) => value.ToString(CultureInfo.InvariantCulture).Length;

    private static byte[] Ascii(long value) => Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));

    private static void CopyTruncated(string? value, Span<byte> field)
    {
        if (!string.IsNullOrEmpty(value))
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            bytes.AsSpan(0, Math.Min(bytes.Length, field.Length)).CopyTo(field);
        }
    }

    /// <summary>Zero-padded octal in width-1 digits followed by NUL, as Go writes numeric fields.</summary>
    private static void Octal(Span<byte> field, long value)
    {
        var digits = field.Length - 1;
        for (var i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }

        field[digits] = 0;
    }

    private static void Checksum(Span<byte> block)
    {
        block.Slice(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var c in block)
        {
            sum += c;
        }

        var field = block.Slice(148, 8);
        for (var i = 5; i >= 0; i--)
        {
            field[i] = (byte)('0' + (sum & 7));
            sum >>= 3;
        }

        field[6] = 0;
        field[7] = (byte)' ';
    }
}
