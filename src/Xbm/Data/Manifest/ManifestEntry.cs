namespace Xbm.Data.Manifest;

/// <summary>One image of a canonical dataset manifest.</summary>
/// <param name="Path">Full path of the image file.</param>
/// <param name="Label">Class id (the dataset's own id: CUB 1–200, SOP product ids, In-Shop item numbers, ...).</param>
/// <param name="Split">Role in the protocol.</param>
/// <param name="Source">The list file and line this entry was read from (for messages).</param>
public sealed record ManifestEntry(string Path, long Label, DatasetSplit Split, SourceLocation Source)
{
    /// <summary>Super-class id (SOP's 12 categories), or null.</summary>
    public long? SuperClass { get; init; }

    /// <summary>Bounding box of the object, or null.</summary>
    public BoundingBox? Box { get; init; }

    /// <summary>
    /// The evaluation subset when a split holds several protocols (VehicleID's "small", "medium", "large"); null
    /// otherwise. An image may appear once per subset.
    /// </summary>
    public string? Subset { get; init; }
}
