using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>
/// The classifier of the classification task (docs/design.md §1): unit-length embeddings e [B, d] in, logits
/// [B, C] out, one column per training class in the order of <see cref="Training.ClassMap"/> (labels mapped to 0..C−1).
/// Linear (the default): logits = e·Wᵀ + b. Cosine (<see cref="Scale"/> above 0, the normalised softmax of NormFace):
/// logits = s · e·Ŵᵀ with Ŵ the rows of W scaled to unit length and no bias, so each logit is s times the cosine
/// between the embedding and its class's weight; a linear layer on unit-length inputs needs large weights before
/// its softmax can be confident, a cosine one starts with a range of ±s.
/// </summary>
public sealed class ClassifierHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc;

    /// <summary>Creates a classifier from <paramref name="dimension"/> embedding dimensions to <paramref name="classes"/> logits.</summary>
    /// <param name="dimension">Embedding dimensions d.</param>
    /// <param name="classes">Classes C (at least 2).</param>
    /// <param name="scale">0 for a linear classifier; above 0, the scale s of a cosine classifier.</param>
    public ClassifierHead(long dimension, long classes, double scale = 0) : base(nameof(ClassifierHead))
    {
        if (dimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "embedding dimension must be positive");
        if (classes < 2)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "a classifier needs at least two classes");
        if (!(scale >= 0 && double.IsFinite(scale)))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "the cosine scale is 0 (linear) or positive");
        Classes = classes;
        Scale = scale;
        fc = nn.Linear(dimension, classes, hasBias: scale == 0);
        RegisterComponents();
    }

    /// <summary>Number of classes C.</summary>
    public long Classes { get; }

    /// <summary>The cosine classifier's scale s, or 0 for a linear classifier.</summary>
    public double Scale { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (Scale == 0)
            return fc.forward(input);
        using var scope = NewDisposeScope();
        using var s = Scale.ToScalar();
        var unitWeights = nn.functional.normalize(fc.weight!, p: 2, dim: 1);
        return input.matmul(unitWeights.t()).mul_(s).MoveToOuterDisposeScope();
    }
}
