using Xbm.Data;
using Xbm.Evaluation;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// Evaluates a model on its dataset's protocols (the validation split or the test protocols): embeds each set and
/// hands the embeddings to <see cref="RetrievalEvaluator"/> (Recall@K, R-Precision, MAP@R). With several protocols
/// (VehicleID's small/medium/large) metric names are prefixed with the protocol name ("small/Recall@1"). The K
/// values are each protocol's own unless <see cref="RecallAt"/> overrides them (the config's evaluation.recall_at).
/// </summary>
public sealed class DatasetEvaluator : IEvaluator
{
    private readonly DatasetSplits _data;
    private readonly Device _device;
    private readonly int _batchSize;

    /// <summary>Creates the evaluator over <paramref name="data"/>'s validation and test protocols.</summary>
    public DatasetEvaluator(DatasetSplits data, Device device, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(device);
        _data = data;
        _device = device;
        _batchSize = batchSize;
    }

    /// <summary>K values of Recall@K replacing every protocol's own (null = the protocol's, docs/design.md §5).</summary>
    public IReadOnlyList<int>? RecallAt { get; init; }

    /// <summary>Also compute NMI (k-means on the embeddings).</summary>
    public bool ComputeNmi { get; init; }

    /// <summary>
    /// Recall@K only, from a k-NN search of depth max K (for studies): R-Precision and MAP@R need every query's R
    /// nearest neighbours, R ≈ 7,000 on Fashion-MNIST's test split, measured at about ten minutes per evaluation
    /// on a busy 2-core machine, against seconds for Recall@K.
    /// </summary>
    public bool RecallOnly { get; init; }

    /// <summary>Receives (what, images embedded, total) while embedding, e.g. ("test", 12000, 35000); null = silent.</summary>
    public Action<string, long, long>? Progress { get; set; }

    /// <summary>This evaluator computing Recall@K only (<see cref="RecallOnly"/>), with the same protocols, K values and progress.</summary>
    public DatasetEvaluator WithRecallOnly() => new(_data, _device, _batchSize)
    {
        RecallAt = RecallAt,
        ComputeNmi = ComputeNmi,
        RecallOnly = true,
        Progress = Progress,
    };

    /// <summary>The protocols of <paramref name="split"/> ("test" or "validation"), each with the K values this evaluator reports.</summary>
    public IReadOnlyList<EvaluationSet> Sets(string split)
    {
        IReadOnlyList<EvaluationSet> sets = split switch
        {
            "test" => _data.Test,
            "validation" => _data.Validation is { } v ? new[] { v } : throw new ArgumentException("the dataset has no validation split (set data.validation_classes or data.validation_fraction)"),
            _ => throw new ArgumentException($"unknown split '{split}' (expected test or validation)"),
        };
        return RecallAt is { } ks ? sets.Select(set => set with { RecallAt = ks }).ToList() : sets;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split) => Evaluate(model, split, CancellationToken.None);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split, CancellationToken cancel) => Evaluate(model, split, cancel, null);

    /// <summary>
    /// As <see cref="Evaluate(EmbeddingModel, string, CancellationToken)"/>, also handing each protocol's embeddings
    /// (queries, and the gallery or null) to <paramref name="embedded"/>, so that a second use of them (a classifier)
    /// does not embed the sets again. The tensors are disposed after the call.
    /// </summary>
    public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split, CancellationToken cancel, Action<EvaluationSet, Tensor, Tensor?>? embedded)
    {
        var metrics = new Dictionary<string, double>();
        if (RecallOnly)
        {
            EmbedSets(model, split, cancel, (set, count, queries, gallery) =>
            {
                embedded?.Invoke(set, queries, gallery);
                string prefix = count > 1 ? set.Name + "/" : "";
                foreach (var (name, value) in Recall(queries, gallery, split, set, cancel))
                    metrics[prefix + name] = value;
            });
            return metrics;
        }
        EvaluateSets(model, split, new EvaluationOptions { ComputeNmi = ComputeNmi }, cancel, (set, count, report) =>
        {
            string prefix = count > 1 ? set.Name + "/" : "";
            foreach (var (name, value) in report.Metrics)
                metrics[prefix + name] = value;
        }, embedded);
        return metrics;
    }

    /// <summary>
    /// Evaluates every protocol of <paramref name="split"/> with <paramref name="options"/> and hands each report
    /// (with the protocol and the number of protocols) to <paramref name="use"/>, disposing it afterwards.
    /// </summary>
    public void EvaluateSets(EmbeddingModel model, string split, EvaluationOptions options, Action<EvaluationSet, int, EvaluationReport> use) =>
        EvaluateSets(model, split, options, CancellationToken.None, use);

    /// <summary>
    /// As <see cref="EvaluateSets(EmbeddingModel, string, EvaluationOptions, Action{EvaluationSet, int, EvaluationReport})"/>,
    /// stopping between batches when <paramref name="cancel"/> is signalled, and handing each protocol's embeddings
    /// to <paramref name="embedded"/> (when given) before its metrics are computed.
    /// </summary>
    public void EvaluateSets(EmbeddingModel model, string split, EvaluationOptions options, CancellationToken cancel,
        Action<EvaluationSet, int, EvaluationReport> use, Action<EvaluationSet, Tensor, Tensor?>? embedded = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(use);
        EmbedSets(model, split, cancel, (set, count, queries, gallery) =>
        {
            embedded?.Invoke(set, queries, gallery);
            var search = options with { Knn = options.Knn with { Progress = Report(split, set, " k-NN search"), Cancel = cancel } };
            using var report = RetrievalEvaluator.Evaluate(queries, set.Queries.Labels, gallery, set.Gallery?.Labels, set.RecallAt, search);
            use(set, count, report);
        });
    }

    /// <summary>
    /// Embeds every protocol of <paramref name="split"/> once and hands (protocol, number of protocols, queries,
    /// gallery or null) to <paramref name="use"/>; the embeddings are disposed after the call.
    /// </summary>
    public void EmbedSets(EmbeddingModel model, string split, CancellationToken cancel, Action<EvaluationSet, int, Tensor, Tensor?> use)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(use);
        var sets = Sets(split);
        foreach (var set in sets)
        {
            using var scope = NewDisposeScope();
            var (queries, gallery) = Embed(model, split, set, cancel);
            use(set, sets.Count, queries, gallery);
        }
    }

    private (Tensor Queries, Tensor? Gallery) Embed(EmbeddingModel model, string split, EvaluationSet set, CancellationToken cancel)
    {
        var queries = Embedder.Embed(model, set.Queries, _batchSize, _device, Report(split, set, set.Gallery is null ? "" : " queries"), cancel);
        var gallery = set.Gallery is null ? null : Embedder.Embed(model, set.Gallery, _batchSize, _device, Report(split, set, " gallery"), cancel);
        return (queries, gallery);
    }

    private IEnumerable<(string Name, double Value)> Recall(Tensor queries, Tensor? gallery, string split, EvaluationSet set, CancellationToken cancel)
    {
        var referenceLabels = set.Gallery?.Labels ?? set.Queries.Labels;
        long available = SelfExclusion.Available(referenceLabels.Count, gallery is null);
        int depth = (int)Math.Min(set.RecallAt.Max(), Math.Max(1, available));
        var knn = Knn.Search(queries, gallery, depth, new KnnOptions { Progress = Report(split, set, " k-NN search"), Cancel = cancel });
        using var results = new RetrievalResults(knn.Indices, knn.Similarities, set.Queries.Labels, referenceLabels, gallery is null);
        var metrics = new List<(string, double)>();
        foreach (int k in set.RecallAt.Distinct().Order())
        {
            var metric = new RecallAtK(k);
            metrics.Add((metric.Name, metric.Compute(results)));
        }
        return metrics;
    }

    private Action<long, long>? Report(string split, EvaluationSet set, string part)
    {
        if (Progress is not { } progress)
            return null;
        string what = set.Name == split ? split + part : $"{split} {set.Name}{part}";
        return (done, total) => progress(what, done, total);
    }
}
