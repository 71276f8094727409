using TorchSharp;
using Xbm.Models;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// The classification task's part of a training step (docs/design.md §1): scales the batch pair loss by
/// batch_loss_weight and adds cross_entropy_weight × the cross-entropy of the classifier's logits against the
/// training labels mapped to class indices.
/// </summary>
public sealed class ClassificationObjective
{
    private readonly long[] _targets;

    /// <summary>Creates the objective for training labels <paramref name="trainLabels"/> (by dataset position).</summary>
    public ClassificationObjective(ClassMap classes, IReadOnlyList<long> trainLabels, double crossEntropyWeight = 1, double batchLossWeight = 1)
    {
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(trainLabels);
        Classes = classes;
        CrossEntropyWeight = crossEntropyWeight;
        BatchLossWeight = batchLossWeight;
        _targets = trainLabels.Select(l => (long)classes.IndexOf(l)).ToArray();
        if (_targets.Any(t => t < 0))
            throw new ArgumentException("every training label must be a class of the map", nameof(trainLabels));
    }

    /// <summary>The classes.</summary>
    public ClassMap Classes { get; }

    /// <summary>Weight of the cross-entropy.</summary>
    public double CrossEntropyWeight { get; }

    /// <summary>Weight of the batch pair loss.</summary>
    public double BatchLossWeight { get; }

    /// <summary>The batch pair loss as it enters the total: unchanged at weight 1, scaled otherwise.</summary>
    public Tensor BatchTerm(Tensor batchLoss)
    {
        ArgumentNullException.ThrowIfNull(batchLoss);
        if (BatchLossWeight == 1)
            return batchLoss;
        using var weight = BatchLossWeight.ToScalar();
        return batchLoss.mul(weight);
    }

    /// <summary>
    /// <paramref name="total"/> + weight × CE(classifier(<paramref name="queries"/>), targets of <paramref name="positions"/>),
    /// and the cross-entropy's value.
    /// </summary>
    public (Tensor Total, double CrossEntropy) Add(Tensor total, EmbeddingModel model, Tensor queries, IReadOnlyList<int> positions, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        var classifier = model.Classifier ?? throw new InvalidOperationException("the classification task needs a model with a classifier");
        var targets = tensor(positions.Select(p => _targets[p]).ToArray(), dtype: ScalarType.Int64, device: device);
        var logits = classifier.forward(queries);
        var crossEntropy = nn.functional.cross_entropy(logits, targets);
        using var weight = CrossEntropyWeight.ToScalar();
        return (total.add(crossEntropy, weight), crossEntropy.item<float>());
    }
}
