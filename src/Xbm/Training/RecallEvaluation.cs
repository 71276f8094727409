using Xbm.Data;
using Xbm.Evaluation;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// A fast evaluator for studies: Recall@K only, from a k-NN search of depth max K. The full evaluator
/// (<see cref="RetrievalEvaluation"/>) also computes R-Precision and MAP@R, which need every query's R
/// nearest neighbours: R ≈ 7,000 on Fashion-MNIST's test split, measured at about ten minutes per
/// evaluation on a busy 2-core machine, against seconds for Recall@K.
/// </summary>
public sealed class RecallEvaluation : IEvaluator
{
    private readonly DatasetSplits _data;
    private readonly Device _device;
    private readonly int _batchSize;

    /// <summary>Creates the evaluator over <paramref name="data"/>'s validation and test protocols.</summary>
    public RecallEvaluation(DatasetSplits data, Device device, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(device);
        _data = data;
        _device = device;
        _batchSize = batchSize;
    }

    /// <summary>Receives (what, images embedded, total) while embedding, e.g. ("test", 12000, 35000); null = silent.</summary>
    public Action<string, long, long>? Progress { get; init; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split) => Evaluate(model, split, CancellationToken.None);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split, CancellationToken cancel)
    {
        var sets = split switch
        {
            "test" => _data.Test,
            "validation" => _data.Validation is { } v ? new[] { v } : throw new InvalidOperationException("the dataset has no validation split"),
            _ => throw new ArgumentException($"unknown split '{split}' (expected test or validation)", nameof(split)),
        };
        var metrics = new Dictionary<string, double>();
        foreach (var set in sets)
        {
            using var scope = NewDisposeScope();
            var queries = Embedder.Embed(model, set.Queries, _batchSize, _device, Report(split, set, set.Gallery is null ? "" : " queries"), cancel);
            var gallery = set.Gallery is null ? null : Embedder.Embed(model, set.Gallery, _batchSize, _device, Report(split, set, " gallery"), cancel);
            var referenceLabels = set.Gallery?.Labels ?? set.Queries.Labels;
            long available = referenceLabels.Count - (gallery is null ? 1 : 0);
            int depth = (int)Math.Min(set.RecallAt.Max(), Math.Max(1, available));
            var knn = Knn.Search(queries, gallery, depth, new KnnOptions { Progress = Report(split, set, " k-NN search"), Cancel = cancel });
            using var results = new RetrievalResults(knn.Indices, knn.Similarities, set.Queries.Labels, referenceLabels, gallery is null);
            string prefix = sets.Count > 1 ? set.Name + "/" : "";
            foreach (int k in set.RecallAt.Distinct().Order())
            {
                var metric = new RecallAtK(k);
                metrics[prefix + metric.Name] = metric.Compute(results);
            }
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
