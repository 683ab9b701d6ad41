// Owns: the description of one image layer the snapshot store can unpack: its blob descriptor and its diffID.
using Gantry.Oci;

namespace Gantry.Snapshots;

/// <summary>One image layer: <paramref name="Blob"/> from the manifest (read through the store's <see cref="IBlobReader"/>)
/// and <paramref name="DiffId"/> from the config's rootfs.diff_ids (the key the unpacked layer is stored under).</summary>
public sealed record SnapshotLayer(Descriptor Blob, Digest DiffId);
