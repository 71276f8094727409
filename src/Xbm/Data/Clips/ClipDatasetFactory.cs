using Xbm.Configuration;
using Xbm.Data.Manifest;

namespace Xbm.Data.Clips;

/// <summary>
/// The data section's reader for <c>dataset: clips</c> (called by <see cref="DatasetFactory"/>): a <see cref="ClipSet"/>
/// whose clips carry splits (split folders <c>root/{train,test[,validation]}/&lt;class&gt;/&lt;clip&gt;</c>, or a CSV
/// with a split column) becomes train, validation and test sets of clips (<see cref="ClipImageSet"/>). Keys:
/// <c>root</c> (folder or CSV), <c>segments</c> (frames per clip N, 8), <c>repeat_short_clips</c> (false),
/// <c>cache</c> (folder of decoded video frames), <c>fps</c> (frames per second kept from videos, all by default),
/// <c>train_fraction</c> and <c>seed</c> (share of the training clips kept, stratified per class), <c>workers</c>,
/// <c>recall_at</c>, and the frame transform keys of the image datasets (<c>image_size</c>, <c>resize</c>,
/// <c>normalization</c>, <c>mean</c>, <c>std</c>, <c>augmentation</c>; see <see cref="DatasetReaderFactory.ReadTransform"/>).
/// </summary>
public static class ClipDatasetFactory
{
    /// <summary>Reads the clips a data section describes. Calls <see cref="ConfigSection.EnsureAllUsed"/>.</summary>
    public static DatasetSplits Load(ConfigSection data, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        log ??= Console.Error.WriteLine;
        data.Choice("dataset", "clips", "clips");
        string root = data.RequiredString("root");
        var setOptions = new ClipSetOptions
        {
            CacheFolder = data.Has("cache") ? data.String("cache", "") : null,
            FramesPerSecond = data.OptionalDouble("fps", min: 1e-6),
            Log = log,
        };
        var transform = DatasetReaderFactory.ReadTransform(data);
        int segments = data.Int("segments", 8, min: 1, max: 1024);
        bool repeat = data.Bool("repeat_short_clips", false);
        int workers = data.Int("workers", Environment.ProcessorCount, min: 1, max: 256);
        double trainFraction = data.Double("train_fraction", 1, min: 0, max: 1);
        if (trainFraction <= 0)
            throw data.Error("train_fraction", "must be above 0");
        ulong seed = (ulong)data.Long("seed", 0, min: 0);
        IReadOnlyList<int> recallAt = data.Has("recall_at") ? data.LongList("recall_at", [], min: 1).Select(k => (int)k).ToList() : [1, 2, 4, 8];
        data.EnsureAllUsed();

        ClipSet set;
        try
        {
            set = ClipSet.Read(root, setOptions);
        }
        catch (FileNotFoundException e)
        {
            throw data.Error("root", e.Message);
        }
        foreach (string warning in set.Warnings)
            log($"warning: {warning}");
        if (set.Clips.Any(c => c.Split is null))
            throw data.Error("root", $"{root}: the clips need splits: folders {root}/train/<class>/<clip> and {root}/test/<class>/<clip>, or a CSV split column");
        var train = set.Clips.Where(c => c.Split == DatasetSplit.Train).ToList();
        if (trainFraction < 1)
        {
            int before = train.Count;
            train = StratifiedFraction.Keep(train.Select(c => c.Label).ToArray(), trainFraction, seed).Select(i => train[i]).ToList();
            log($"clips: train_fraction {trainFraction}: {train.Count} of {before} training clips kept (stratified per class)");
        }
        var loaderOptions = new ClipLoaderOptions { Segments = segments, RepeatShortClips = repeat, Transform = transform, Workers = workers };
        ClipImageSet Make(IEnumerable<ClipEntry> clips) => new(new ClipLoader(clips.ToList(), loaderOptions));
        var validation = set.Clips.Where(c => c.Split == DatasetSplit.Validation).ToList();
        var test = set.Clips.Where(c => c.Split == DatasetSplit.Test).ToList();
        if (test.Count == 0)
            throw data.Error("root", $"{root}: no test clips (a test/ split folder, or rows with split 'test')");
        return new DatasetSplits("clips", Make(train),
            validation.Count == 0 ? null : new EvaluationSet("validation", Make(validation), null, recallAt),
            [new EvaluationSet("test", Make(test), null, recallAt)])
        {
            ClassNames = set.ClassNames,
        };
    }
}
