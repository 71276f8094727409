using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>
/// The linear classifier of the classification task (docs/design.md §1): unit-length embeddings [B, d] in, logits
/// [B, C] out, one column per training class in the order of <see cref="Training.ClassMap"/> (labels mapped to 0..C−1).
/// </summary>
public sealed class ClassifierHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc;

    /// <summary>Creates a classifier from <paramref name="dimension"/> embedding dimensions to <paramref name="classes"/> logits.</summary>
    public ClassifierHead(long dimension, long classes) : base(nameof(ClassifierHead))
    {
        if (dimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "embedding dimension must be positive");
        if (classes < 2)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "a classifier needs at least two classes");
        Classes = classes;
        fc = nn.Linear(dimension, classes);
        RegisterComponents();
    }

    /// <summary>Number of classes C.</summary>
    public long Classes { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => fc.forward(input);
}
