// Owns: one tar entry's metadata as Gantry's reader produces and writer consumes it.
namespace Gantry.Snapshots.Tar;

internal sealed class TarHeader
{
    public string Name { get; set; } = string.Empty;

    public byte Type { get; set; } = TarEntryType.Regular;

    public long Size { get; set; }

    /// <summary>Permission bits incl. setuid/setgid/sticky (07777).</summary>
    public int Mode { get; set; }

    public int Uid { get; set; }

    public int Gid { get; set; }

    public long MtimeSeconds { get; set; }

    public int MtimeNanoseconds { get; set; }

    public string LinkName { get; set; } = string.Empty;

    public string? Uname { get; set; }

    public string? Gname { get; set; }

    public uint DevMajor { get; set; }

    public uint DevMinor { get; set; }

    /// <summary>Extended attributes (PAX SCHILY.xattr.*) with raw byte values, or null.</summary>
    public SortedDictionary<string, byte[]>? Xattrs { get; set; }

    public bool IsRegular => Type is TarEntryType.Regular or TarEntryType.RegularOld or TarEntryType.Contiguous;
}
