using Xbm.Models;

namespace Xbm.Training;

/// <summary>Measures a model during or after training (Recall@K, R-Precision, MAP@R, ...).</summary>
public interface IEvaluator
{
    /// <summary>Evaluates <paramref name="model"/> on the named split ("test" or "validation"); values are fractions.</summary>
    IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split);

    /// <summary>
    /// As <see cref="Evaluate(EmbeddingModel, string)"/>, stopping with an <see cref="OperationCanceledException"/>
    /// when <paramref name="cancel"/> is signalled (between batches; by default only before it starts).
    /// </summary>
    IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        return Evaluate(model, split);
    }
}
