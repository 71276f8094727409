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

    /// <summary>This evaluator with its retrieval metrics reduced to Recall@K (<see cref="DatasetEvaluator.WithRecallOnly"/>), for studies.</summary>
    public ClassificationEvaluator WithRecallOnly() => new(_retrieval.WithRecallOnly(), _classes, _device, _batchSize, _runFolder, RetrievalMetrics);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split) => Evaluate(model, split, CancellationToken.None);

    /// <summary>
    /// The retrieval metrics (when <see cref="RetrievalMetrics"/>) and the classifier's Accuracy and
    /// MeanClassAccuracy on <paramref name="split"/>; each set is embedded once for both.
    /// </summary>
    public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split, CancellationToken cancel)
    {
        var tally = Start(model, split);
        var metrics = new Dictionary<string, double>();
        if (RetrievalMetrics)
            foreach (var (name, value) in _retrieval.Evaluate(model, split, cancel, tally.Add))
                metrics[name] = value;
        else
            ClassifyAll(model, split, cancel, tally);
        var result = tally.Result();
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
        var tally = Start(model, split);
        ClassifyAll(model, split, cancel, tally);
        return tally.Result();
    }

    /// <summary>
    /// A confusion tally for <paramref name="split"/>: hand it each protocol's embeddings (<see cref="Tally.Add"/>,
    /// e.g. from <see cref="DatasetEvaluator.EvaluateSets(EmbeddingModel, string, EvaluationOptions, CancellationToken, Action{EvaluationSet, int, EvaluationReport}, Action{EvaluationSet, Tensor, Tensor?}?)"/>)
    /// and read the <see cref="Tally.Result"/>.
    /// </summary>
    public Tally Start(EmbeddingModel model, string split)
    {
        ArgumentNullException.ThrowIfNull(model);
        var classifier = model.Classifier ?? throw new InvalidOperationException("the model has no classifier (trained with task: retrieval?)");
        return new Tally(classifier, _classes, _device, split);
    }

    private void ClassifyAll(EmbeddingModel model, string split, CancellationToken cancel, Tally tally) =>
        _retrieval.EmbedSets(model, split, cancel, (set, _, queries, gallery) => tally.Add(set, queries, gallery));

    /// <summary>Counts the classifier's predictions on embedded sets into a confusion matrix (true class × predicted class).</summary>
    public sealed class Tally
    {
        private readonly ClassifierHead _classifier;
        private readonly ClassMap _classes;
        private readonly Device _device;
        private readonly string _split;
        private readonly long[,] _confusion;

        internal Tally(ClassifierHead classifier, ClassMap classes, Device device, string split)
        {
            _classifier = classifier;
            _classes = classes;
            _device = device;
            _split = split;
            _confusion = new long[classes.Count, classes.Count];
        }

        /// <summary>Classifies a protocol's query embeddings and, when there is one, its gallery's.</summary>
        public void Add(EvaluationSet set, Tensor queries, Tensor? gallery)
        {
            ArgumentNullException.ThrowIfNull(set);
            ArgumentNullException.ThrowIfNull(queries);
            Count(set, set.Queries, queries);
            if (set.Gallery is not null && gallery is not null)
                Count(set, set.Gallery, gallery);
        }

        /// <summary>The matrix counted so far, with the class names.</summary>
        public ClassificationResult Result() => new((long[,])_confusion.Clone(), _classes.Names);

        private void Count(EvaluationSet set, IImageSet images, Tensor embeddings)
        {
            long[] predicted;
            using (NewDisposeScope())
            using (no_grad()) // a linear layer: no train/eval difference
                predicted = _classifier.forward(embeddings.to(_device)).argmax(1).cpu().data<long>().ToArray();
            for (int i = 0; i < predicted.Length; i++)
            {
                int truth = _classes.IndexOf(images.Labels[i]);
                if (truth < 0)
                    throw new InvalidDataException($"{_split} {set.Name}: item {i} has label {images.Labels[i]}, which is not a training class; "
                        + "the classification task needs test classes that are training classes (data.protocol: classification, or train/ and test/ folders of the same classes)");
                _confusion[truth, predicted[i]]++;
            }
        }
    }
}
