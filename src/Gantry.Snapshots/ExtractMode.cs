// Owns: how a layer's whiteouts are represented when it is unpacked.
namespace Gantry.Snapshots;

/// <summary>How <see cref="LayerExtractor"/> applies a layer's whiteouts.</summary>
public enum ExtractMode
{
    /// <summary>Each layer in its own directory, used as an overlayfs lower dir: <c>.wh.NAME</c> becomes a char device 0/0,
    /// <c>.wh..wh..opq</c> sets <c>trusted.overlay.opaque=y</c> on its directory.</summary>
    OverlayLower,

    /// <summary>Layers applied on top of each other in one directory (the copy-based fallback): whiteouts delete what earlier
    /// layers put there; an opaque directory loses every entry not added by this layer.</summary>
    Flatten,
}
