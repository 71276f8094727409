using Xbm.Configuration;
using Xbm.Data.Clips;
using Xbm.Data.Manifest;

namespace Xbm.Data;

/// <summary>
/// Creates a dataset's splits from the config's data section (key "dataset" names the layout): fashion_mnist
/// (<see cref="FashionMnist"/>), clips (<see cref="ClipDatasetFactory"/>) or an image layout (<see cref="DatasetReaderFactory"/>).
/// </summary>
public static class DatasetFactory
{
    /// <summary>
    /// Loads the dataset named by data.dataset (fashion_mnist by default); an empty training split is an error.
    /// <paramref name="classification"/> (task: classification) makes data.validation_fraction hold out items of
    /// every class rather than whole classes (<see cref="TrainingShares"/>).
    /// </summary>
    public static DatasetSplits Load(ConfigSection data, bool classification = false)
    {
        var splits = LoadSplits(data, classification);
        if (splits.Train.Count == 0)
            throw new ConfigException($"{data.Source}: data: the training split has no images");
        return splits;
    }

    private static DatasetSplits LoadSplits(ConfigSection data, bool classification)
    {
        string name = data.String("dataset", "fashion_mnist");
        if (name == "clips")
            return ClipDatasetFactory.Load(data, null, classification);
        if (name != "fashion_mnist")
            return DatasetReaderFactory.Load(data, null, classification);
        var options = FashionMnist.FromSection(data);
        try
        {
            return FashionMnist.LoadSplits(options);
        }
        catch (FileNotFoundException e)
        {
            throw data.Error("root", e.Message); // names the config file and key: data.root
        }
    }
}
