namespace Xbm.Data.Manifest;

/// <summary>A (split, subset) group of a manifest that a protocol needs, e.g. train, or test/small.</summary>
/// <param name="Split">The split.</param>
/// <param name="Subset">The subset within the split, or null.</param>
public sealed record ManifestPart(DatasetSplit Split, string? Subset = null)
{
    /// <summary>"train", "test/small", ...</summary>
    public string Name => Subset is null ? Split.Name() : $"{Split.Name()}/{Subset}";

    /// <summary>True when <paramref name="entry"/> belongs to this part.</summary>
    public bool Contains(ManifestEntry entry) => entry.Split == Split && entry.Subset == Subset;

    /// <inheritdoc/>
    public override string ToString() => Name;
}
