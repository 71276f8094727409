namespace Xbm.Data.Manifest;

/// <summary>Converts one original dataset layout into a <see cref="DatasetManifest"/>. Malformed lines are errors naming the file and line.</summary>
public interface IDatasetReader
{
    /// <summary>The dataset name used in configs ("cub", "cars196", ...).</summary>
    string Name { get; }

    /// <summary>One line saying what the layout is and what the protocol does.</summary>
    string Description { get; }

    /// <summary>The files the reader expects under the root folder.</summary>
    string Layout { get; }

    /// <summary>Reads the dataset under <paramref name="root"/>. Missing images are left to the validator.</summary>
    DatasetManifest Read(string root);
}
