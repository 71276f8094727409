using Xbm.Configuration;
using Xbm.Data.Manifest;

namespace Xbm.Data.Clips;

/// <summary>
/// The data section's reader for <c>dataset: clips</c> (called by <see cref="DatasetFactory"/>): a <see cref="ClipSet"/>
/// whose clips carry splits (split folders <c>root/{train,test[,validation]}/&lt;class&gt;/&lt;clip&gt;</c>, or a CSV
/// with a split column) becomes train, validation and test sets of clips (<see cref="ClipImageSet"/>). Keys:
/// <c>root</c> (folder or CSV), <c>segments</c> (frames per clip N, 8), <c>repeat_short_clips</c> (false),
/// <c>cache</c> (folder of decoded video frames), <c>fps</c> (frames per second kept from videos, all by default),
/// <c>train_fraction</c>, <c>validation_fraction</c> (task: classification only) and <c>seed</c> (shares of the
/// training clips kept and held out for validation, stratified per class; <see cref="TrainingShares"/>), <c>workers</c>,
/// <c>recall_at</c>, and the frame transform keys of the image datasets (<c>image_size</c>, <c>resize</c>,
/// <c>normalization</c>, <c>mean</c>, <c>std</c>, <c>augmentation</c>; see <see cref="DatasetReaderFactory.ReadTransform"/>).
/// </summary>
public static class ClipDatasetFactory
{
    /// <summary>
    /// Reads the clips a data section describes. Calls <see cref="ConfigSection.EnsureAllUsed"/>. Clips in query or
    /// gallery splits are an error (clips are validated and tested against themselves).
    /// </summary>
    /// <param name="data">The data section.</param>
    /// <param name="log">Receives notes and warnings (default: standard error).</param>
    /// <param name="classification">task: classification (validation_fraction holds out clips of every class).</param>
    public static DatasetSplits Load(ConfigSection data, Action<string>? log = null, bool classification = false)
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
        var shares = TrainingShares.Read(data, classification);
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
        var unused = set.Clips.Where(c => c.Split is DatasetSplit.Query or DatasetSplit.Gallery).ToList();
        if (unused.Count > 0)
            throw data.Error("root", $"{unused[0].Path}: a clip in the {unused[0].Split!.Value.Name()} split; clips have train, validation and test splits only "
                + $"({unused.Count} such clip(s); searched query/gallery protocols are for images)");
        var train = set.Clips.Where(c => c.Split == DatasetSplit.Train).ToList();
        var validation = set.Clips.Where(c => c.Split == DatasetSplit.Validation).ToList();
        if (validation.Count > 0 && shares.ValidationFraction > 0)
            throw data.Error("validation_fraction", $"{root} already has validation clips ({validation.Count}); remove the key or the split");
        if (shares.ValidationFraction > 0 && shares.ByItems)
        {
            int before = train.Count;
            var (kept, held) = StratifiedFraction.Split(train.Select(c => c.Label).ToArray(), shares.TrainFraction, shares.ValidationFraction, seed);
            validation = held.Select(i => train[i]).ToList();
            train = kept.Select(i => train[i]).ToList();
            log($"clips: validation = {validation.Count} of {before} training clips (validation_fraction {shares.ValidationFraction}, stratified per class), training = {train.Count}");
        }
        else
        {
            if (shares.ValidationFraction > 0)
                throw data.Error("validation_fraction", "holds out clips of every class for task: classification; a retrieval run needs validation/ clips");
            if (shares.TrainFraction < 1)
            {
                int before = train.Count;
                train = StratifiedFraction.Keep(train.Select(c => c.Label).ToArray(), shares.TrainFraction, seed).Select(i => train[i]).ToList();
                log($"clips: train_fraction {shares.TrainFraction}: {train.Count} of {before} training clips kept (stratified per class)");
            }
        }
        var loaderOptions = new ClipLoaderOptions { Segments = segments, RepeatShortClips = repeat, Transform = transform, Workers = workers };
        ClipImageSet Make(IEnumerable<ClipEntry> clips) => new(new ClipLoader(clips.ToList(), loaderOptions));
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
