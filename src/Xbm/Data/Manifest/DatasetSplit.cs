namespace Xbm.Data.Manifest;

/// <summary>The role of an image in a dataset's protocol.</summary>
public enum DatasetSplit
{
    /// <summary>Training images (the training classes).</summary>
    Train,
    /// <summary>Held-out training classes for model selection.</summary>
    Validation,
    /// <summary>Test images searched against each other (self excluded).</summary>
    Test,
    /// <summary>Test queries searched against the gallery.</summary>
    Query,
    /// <summary>Test gallery.</summary>
    Gallery,
}

/// <summary>Names of <see cref="DatasetSplit"/> values as they appear in files and messages.</summary>
public static class DatasetSplitNames
{
    /// <summary>The lower-case name ("train", "validation", "test", "query", "gallery").</summary>
    public static string Name(this DatasetSplit split) => split.ToString().ToLowerInvariant();

    /// <summary>Parses a split name (also "val" and "valid" for validation); null when unknown.</summary>
    public static DatasetSplit? Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "train" or "training" => DatasetSplit.Train,
        "validation" or "val" or "valid" => DatasetSplit.Validation,
        "test" or "testing" => DatasetSplit.Test,
        "query" => DatasetSplit.Query,
        "gallery" => DatasetSplit.Gallery,
        _ => null,
    };
}
