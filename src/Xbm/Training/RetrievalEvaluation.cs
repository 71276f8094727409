using Xbm.Data;
using Xbm.Evaluation;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// Evaluates a model on a dataset's protocols: embeds each set, runs the chunked k-NN and computes Recall@K,
/// R-Precision and MAP@R. With several protocols (VehicleID's small/medium/large) metric names are prefixed
/// with the protocol name ("small/Recall@1").
/// </summary>
public sealed class RetrievalEvaluation : IEvaluator
{
    private readonly DatasetSplits _data;
    private readonly Device _device;
    private readonly int _batchSize;

    /// <summary>Creates the evaluator.</summary>
    public RetrievalEvaluation(DatasetSplits data, Device device, int batchSize)
    {
        _data = data;
        _device = device;
        _batchSize = batchSize;
    }

    /// <summary>Also compute NMI (k-means on the embeddings).</summary>
    public bool ComputeNmi { get; init; }

    /// <summary>Receives (what, images embedded, total) while embedding, e.g. ("test", 12000, 35000); null = silent.</summary>
    public Action<string, long, long>? Progress { get; set; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split) => Evaluate(model, split, CancellationToken.None);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split, CancellationToken cancel)
    {
        var metrics = new Dictionary<string, double>();
        EvaluateSets(model, split, new EvaluationOptions { ComputeNmi = ComputeNmi }, cancel, (set, sets, report) =>
        {
            string prefix = sets > 1 ? set.Name + "/" : "";
            foreach (var (name, value) in report.Metrics)
                metrics[prefix + name] = value;
        });
        return metrics;
    }

    /// <summary>
    /// Evaluates every protocol of <paramref name="split"/> with <paramref name="options"/> and hands each report
    /// (with the protocol and the number of protocols) to <paramref name="use"/>, disposing it afterwards.
    /// </summary>
    public void EvaluateSets(EmbeddingModel model, string split, EvaluationOptions options, Action<EvaluationSet, int, EvaluationReport> use) =>
        EvaluateSets(model, split, options, CancellationToken.None, use);

    /// <summary>As <see cref="EvaluateSets(EmbeddingModel, string, EvaluationOptions, Action{EvaluationSet, int, EvaluationReport})"/>, stopping between batches when <paramref name="cancel"/> is signalled.</summary>
    public void EvaluateSets(EmbeddingModel model, string split, EvaluationOptions options, CancellationToken cancel, Action<EvaluationSet, int, EvaluationReport> use)
    {
        var sets = split switch
        {
            "test" => _data.Test,
            "validation" => _data.Validation is { } v ? new[] { v } : throw new ArgumentException("the dataset has no validation split (set data.validation_classes or data.validation_fraction)"),
            _ => throw new ArgumentException($"unknown split '{split}' (expected test or validation)"),
        };
        foreach (var set in sets)
        {
            using var scope = NewDisposeScope();
            var queries = Embedder.Embed(model, set.Queries, _batchSize, _device, Report(split, set, set.Gallery is null ? "" : " queries"), cancel);
            var gallery = set.Gallery is null ? null : Embedder.Embed(model, set.Gallery, _batchSize, _device, Report(split, set, " gallery"), cancel);
            var search = options with { Knn = options.Knn with { Progress = Report(split, set, " k-NN search"), Cancel = cancel } };
            using var report = RetrievalEvaluator.Evaluate(queries, set.Queries.Labels, gallery, set.Gallery?.Labels, set.RecallAt, search);
            use(set, sets.Count, report);
        }
    }

    private Action<long, long>? Report(string split, EvaluationSet set, string part)
    {
        if (Progress is not { } progress)
            return null;
        string what = set.Name == split ? split + part : $"{split} {set.Name}{part}";
        return (done, total) => progress(what, done, total);
    }
}
