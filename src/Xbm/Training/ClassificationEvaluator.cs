using Xbm.Data;
using Xbm.Evaluation;
using Xbm.IO;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// Evaluates a classification run: the retrieval metrics of the embeddings (from the wrapped
/// <see cref="DatasetEvaluator"/>, unless switched off) and, from the model's classifier on the same protocols'
/// queries, Accuracy and MeanClassAccuracy. Each evaluation writes the confusion matrix to
/// RUN/confusion_SPLIT.csv (the latest one; <c>xbm report</c> draws it).
/// </summary>
public sealed class ClassificationEvaluator : IEvaluator
{
    private readonly DatasetEvaluator _retrieval;
    private readonly ClassMap _classes;
    private readonly Device _device;
    private readonly int _batchSize;
    private readonly string? _runFolder;

    /// <summary>Creates the evaluator.</summary>
    /// <param name="retrieval">The retrieval evaluator over the dataset's protocols (also the source of the sets).</param>
    /// <param name="classes">The training classes.</param>
    /// <param name="device">Compute device.</param>
    /// <param name="batchSize">Items per embedding batch.</param>
    /// <param name="runFolder">Where the confusion matrices go, or null to write none.</param>
    /// <param name="retrievalMetrics">Also report the retrieval metrics of the embeddings.</param>
    public ClassificationEvaluator(DatasetEvaluator retrieval, ClassMap classes, Device device, int batchSize, string? runFolder, bool retrievalMetrics = true)
    {
        ArgumentNullException.ThrowIfNull(retrieval);
        ArgumentNullException.ThrowIfNull(classes);
        _retrieval = retrieval;
        _classes = classes;
        _device = device;
        _batchSize = batchSize;
        _runFolder = runFolder;
        RetrievalMetrics = retrievalMetrics;
    }

    /// <summary>Whether the retrieval metrics are reported too.</summary>
    public bool RetrievalMetrics { get; }

    /// <summary>The file of a split's latest confusion matrix in a run folder.</summary>
    public static string ConfusionFile(string runFolder, string split) => Path.Combine(runFolder, $"confusion_{split}.csv");

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split) => Evaluate(model, split, CancellationToken.None);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split, CancellationToken cancel)
    {
        var metrics = RetrievalMetrics ? new Dictionary<string, double>(_retrieval.Evaluate(model, split, cancel)) : new Dictionary<string, double>();
        var result = Classify(model, split, cancel);
        foreach (var (name, value) in result.Metrics)
            metrics[name] = value;
        if (_runFolder is not null)
            AtomicFile.WriteAllText(ConfusionFile(_runFolder, split), result.ToCsv());
        return metrics;
    }

    /// <summary>
    /// Classifies every query of <paramref name="split"/>'s protocols (and their galleries) with the model's
    /// classifier. A label that is not a training class is an error.
    /// </summary>
    public ClassificationResult Classify(EmbeddingModel model, string split, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var classifier = model.Classifier ?? throw new InvalidOperationException("the model has no classifier (trained with task: retrieval?)");
        var confusion = new long[_classes.Count, _classes.Count];
        foreach (var set in _retrieval.Sets(split))
            foreach (var images in new[] { set.Queries, set.Gallery })
            {
                if (images is null)
                    continue;
                using var scope = NewDisposeScope();
                var embeddings = Embedder.Embed(model, images, _batchSize, _device, null, cancel);
                long[] predicted;
                using (no_grad()) // a linear layer: no train/eval difference
                    predicted = classifier.forward(embeddings.to(_device)).argmax(1).cpu().data<long>().ToArray();
                for (int i = 0; i < predicted.Length; i++)
                {
                    int truth = _classes.IndexOf(images.Labels[i]);
                    if (truth < 0)
                        throw new InvalidDataException($"{split} {set.Name}: item {i} has label {images.Labels[i]}, which is not a training class; "
                            + "the classification task needs test classes that are training classes (data.protocol: classification, or train/ and test/ folders of the same classes)");
                    confusion[truth, predicted[i]]++;
                }
            }
        return new ClassificationResult(confusion, _classes.Names);
    }
}
