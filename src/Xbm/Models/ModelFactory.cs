using Xbm.Configuration;
using Xbm.Models.Temporal;

namespace Xbm.Models;

/// <summary>
/// Builds the embedding model from the <c>model</c> section of a config:
/// <code>
/// model:
///   backbone: resnet50        # small_cnn | resnet18 | resnet34 | resnet50 | googlenet | bn_inception
///   dimension: 128            # embedding size d
///   pooling: max              # avg | max | avg+max (default: max for ResNet, avg otherwise)
///   freeze_bn: false          # BatchNorm layers stay in eval mode while training
///   freeze_bn_affine: false   # also no gradient for the BatchNorm scale and shift (needs freeze_bn)
///   frozen_stages: 0          # freeze the stem and the next stages: 1 = stem only, …
///   weights: weights/resnet50.safetensors   # ImageNet weights for the backbone (.safetensors, or a PyTorch .pth/.pt
///                                           # state dict in either torch.save format; docs/weights.md), or a run
///                                           # folder / checkpoint folder of this tool: its model (backbone and head)
///   strict: true              # fail on missing or unexpected keys (classifier heads are always ignored)
///   transform_input: true     # googlenet, bn_inception: take ImageNet-normalised RGB
///   width: 32                 # small_cnn: channels of the first stage
///   channels_last: true       # convolution weights, and so activations, in NHWC layout: same results, faster
///   blocks: [2, 2, 2, 3]      # resnet*: blocks per stage instead of the depth's (CNTK's ResNet-18 has [2, 2, 2, 3])
///   temporal: relation        # clips only (data.dataset: clips): relation (TRN) | average (single-frame baseline)
///   frame_dimension: 256      # relation: per-frame feature width fed to the relation (0 = the backbone's features)
///   relation_dimension: 256   # relation: output width of the relation (the embedding head's input)
///   bottleneck: 256           # relation: width of each scale's g network
///   subsample: 3              # relation: tuples summed per scale below N
/// </code>
/// For the classification task the model also gets a <see cref="ClassifierHead"/> (the caller passes the class count).
/// </summary>
public static class ModelFactory
{
    /// <summary>The backbone names a config may use.</summary>
    public static IReadOnlyList<string> BackboneNames { get; } = ["small_cnn", "resnet18", "resnet34", "resnet50", "googlenet", "bn_inception"];

    /// <summary>The default embedding dimension per backbone: 64 for small_cnn, 128 for ResNet (the paper's R128), 512 for GoogLeNet and BN-Inception.</summary>
    public static long DefaultDimension(string backbone) => backbone switch
    {
        "small_cnn" => 64,
        "resnet18" or "resnet34" or "resnet50" => 128,
        _ => 512,
    };

    /// <summary>
    /// Creates the model described by <paramref name="model"/> (unknown keys are errors). <paramref name="inputChannels"/>
    /// is the dataset's channel count (small_cnn adapts to it; the ImageNet backbones need 3). When weights are
    /// loaded, <paramref name="weightsLoaded"/> receives the report. With <paramref name="loadWeights"/> false the
    /// starting weights (model.weights) are neither looked for nor loaded: for a model whose checkpoint is loaded next.
    /// </summary>
    /// <param name="model">The model section.</param>
    /// <param name="inputChannels">The dataset's channels.</param>
    /// <param name="weightsLoaded">Receives the weight-loading report.</param>
    /// <param name="loadWeights">Load model.weights (false when a checkpoint is loaded next).</param>
    /// <param name="classes">Classes of the classifier (the classification task), 0 = no classifier.</param>
    /// <param name="clipFrames">Frames per clip when the data are clips (then model.temporal is required), null for images.</param>
    /// <param name="seed">Seed of the temporal relation's tuple choice.</param>
    /// <param name="classifierScale">The classifier's cosine scale, 0 for a linear classifier (<see cref="ClassifierHead"/>).</param>
    public static EmbeddingModel Create(ConfigSection model, long? inputChannels = null, Action<LoadReport>? weightsLoaded = null, bool loadWeights = true,
        long classes = 0, int? clipFrames = null, ulong seed = 0, double classifierScale = 0)
    {
        string name = model.Choice("backbone", "small_cnn", BackboneNames.ToArray());
        long dimension = model.Long("dimension", DefaultDimension(name), min: 1);
        bool isSmall = name == "small_cnn";
        bool hasTransform = name is "googlenet" or "bn_inception";
        long width = isSmall ? model.Long("width", 32, min: 1) : 0;
        string? pooling = model.Has("pooling") ? model.Choice("pooling", "avg", GlobalPooling.Names.ToArray()) : null;
        bool freezeBn = model.Bool("freeze_bn", false);
        bool freezeAffine = model.Bool("freeze_bn_affine", false);
        int frozenStages = model.Int("frozen_stages", 0, min: 0);
        bool transformInput = !hasTransform || model.Bool("transform_input", true);
        string? weights = model.Has("weights") ? model.String("weights", "") : null;
        bool strict = model.Bool("strict", true);
        bool channelsLast = model.Bool("channels_last", true);
        bool isResNet = name is "resnet18" or "resnet34" or "resnet50";
        IReadOnlyList<long>? blocks = model.Has("blocks") ? model.LongList("blocks", [], min: 1) : null;
        var clip = ReadTemporal(model, clipFrames, seed);
        model.EnsureAllUsed();

        if (blocks is not null && (!isResNet || blocks.Count != 4))
            throw model.Error("blocks", isResNet ? $"needs four counts (layer1–layer4), got {blocks.Count}" : $"applies to resnet18, resnet34 and resnet50, not to {name}");
        if (freezeAffine && !freezeBn)
            throw model.Error("freeze_bn_affine", "needs freeze_bn: true");
        if (weights is { Length: 0 } || weights is "none" or "null" or "~" || !loadWeights)
            weights = null;
        if (!isSmall && inputChannels is { } c && c != 3)
            throw model.Error("backbone", $"{name} takes 3-channel RGB images but the dataset has {c} channel(s); use small_cnn or convert the images to RGB");
        string? weightsPath = null, checkpoint = null;
        if (weights is not null)
        {
            weightsPath = ResolvePath(weights);
            if (Directory.Exists(weightsPath))
            {
                checkpoint = CheckpointWeights.Resolve(weightsPath) ?? throw model.Error("weights",
                    $"{weightsPath}: a folder, but neither a checkpoint of this tool (model.safetensors, trainer.json) nor a run folder with one (checkpoints/latest)");
                weightsPath = null;
            }
            else if (!File.Exists(weightsPath))
                throw model.Error("weights", $"file not found: {weightsPath}");
        }

        var options = new BackboneOptions
        {
            Pooling = pooling is null ? null : GlobalPooling.Parse(pooling),
            TransformInput = transformInput,
            ChannelsLast = channelsLast,
            Blocks = blocks?.Select(b => (int)b).ToList(),
        };
        var backbone = CreateBackbone(name, options, inputChannels ?? (isSmall ? 1 : 3), isSmall ? width : 32);
        try
        {
            if (frozenStages > backbone.StageCount)
                throw model.Error("frozen_stages", $"{frozenStages} is more than the {backbone.StageCount} stages of {name}");
            if (weightsPath is not null)
            {
                LoadReport report;
                try
                {
                    report = WeightLoader.Load(backbone, weightsPath, new WeightLoadOptions { Strict = strict, IgnoredPrefixes = backbone.ClassifierPrefixes });
                }
                catch (InvalidDataException e)
                {
                    throw model.Error("weights", e.Message);
                }
                weightsLoaded?.Invoke(report);
            }
            if (freezeBn)
                backbone.FreezeBatchNorm(freezeAffine);
            if (frozenStages > 0)
                backbone.FreezeStages(frozenStages);
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
        var embedding = clip is null
            ? new EmbeddingModel(backbone, dimension, classes, classifierScale)
            : new EmbeddingModel(new ClipEmbeddingModel(backbone, clipFrames!.Value, dimension, clip), classes, classifierScale);
        try
        {
            if (checkpoint is not null)
            {
                try
                {
                    weightsLoaded?.Invoke(CheckpointWeights.Load(embedding, checkpoint, strict));
                }
                catch (InvalidDataException e)
                {
                    throw model.Error("weights", e.Message);
                }
            }
            return embedding;
        }
        catch
        {
            embedding.Dispose();
            throw;
        }
    }

    /// <summary>The clip model's options (model.temporal and the relation keys), or null for images.</summary>
    private static ClipEmbeddingOptions? ReadTemporal(ConfigSection model, int? clipFrames, ulong seed)
    {
        if (clipFrames is null)
        {
            if (model.Has("temporal"))
                throw model.Error("temporal", "applies to clips (data.dataset: clips) only");
            return null;
        }
        string temporal = model.Choice("temporal", "relation", "relation", "average");
        if (temporal == "average")
            return new ClipEmbeddingOptions { Consensus = ClipConsensus.Average };
        if (clipFrames < 2)
            throw model.Error("temporal", $"relation needs at least 2 frames per clip (data.segments is {clipFrames}); use average");
        var defaults = new ClipEmbeddingOptions();
        return new ClipEmbeddingOptions
        {
            Consensus = ClipConsensus.Relation,
            FrameDimension = model.Long("frame_dimension", defaults.FrameDimension, min: 0),
            RelationDimension = model.Long("relation_dimension", defaults.RelationDimension, min: 1),
            Relation = new TemporalRelationOptions
            {
                Bottleneck = model.Long("bottleneck", defaults.Relation.Bottleneck, min: 1),
                Subsample = model.Int("subsample", defaults.Relation.Subsample, min: 1),
                Seed = seed,
            },
        };
    }

    /// <summary>Creates a backbone by config name (see <see cref="BackboneNames"/>).</summary>
    public static Backbone CreateBackbone(string name, BackboneOptions? options = null, long inputChannels = 3, long width = 32) => name switch
    {
        "small_cnn" => new SmallCnn(inputChannels, width, options),
        "resnet18" => new ResNet(18, options),
        "resnet34" => new ResNet(34, options),
        "resnet50" => new ResNet(50, options),
        "googlenet" => new GoogLeNet(options),
        "bn_inception" => new BnInception(options),
        _ => throw new ArgumentException($"unknown backbone '{name}' (expected one of: {string.Join(", ", BackboneNames)})", nameof(name)),
    };

    private static string ResolvePath(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
            path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "");
        return Path.GetFullPath(path);
    }
}
