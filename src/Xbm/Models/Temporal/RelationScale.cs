using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Models.Temporal;

/// <summary>
/// One scale k of a multi-scale TRN: g = ReLU → Linear(k·D, bottleneck) → ReLU on each tuple's concatenated frame
/// features, summed over the tuples, then h = Linear(bottleneck, E): T_k = h(Σ g(f_i1, …, f_ik)).
/// </summary>
public sealed class RelationScale : nn.Module<Tensor, Tensor>
{
    private readonly Linear g;
    private readonly Linear h;

    /// <summary>Creates the networks of scale <paramref name="k"/> for <paramref name="featureDimension"/>-wide frame features.</summary>
    public RelationScale(int k, long featureDimension, long bottleneck, long outputDimension) : base(nameof(RelationScale))
    {
        if (k < 1)
            throw new ArgumentOutOfRangeException(nameof(k), k, "a relation scale has at least one frame");
        K = k;
        FeatureDimension = featureDimension;
        g = nn.Linear(k * featureDimension, bottleneck);
        h = nn.Linear(bottleneck, outputDimension);
        RegisterComponents();
    }

    /// <summary>Frames per tuple.</summary>
    public int K { get; }

    /// <summary>Width D of a frame's features.</summary>
    public long FeatureDimension { get; }

    /// <summary>
    /// T_k over the tuples already gathered: <paramref name="input"/> is [B, T, k·D] (T tuples' concatenated
    /// features), the result [B, E].
    /// </summary>
    public override Tensor forward(Tensor input)
    {
        if (input.ndim != 3 || input.shape[2] != K * FeatureDimension)
            throw new ArgumentException($"scale {K} takes [B, tuples, {K * FeatureDimension}] features, got [{string.Join(", ", input.shape)}]", nameof(input));
        using var scope = NewDisposeScope();
        var relations = nn.functional.relu(g.forward(nn.functional.relu(input)));
        return h.forward(relations.sum(1)).MoveToOuterDisposeScope();
    }

    /// <summary>T_k for <paramref name="frames"/> [B, N, D] and the tuples <paramref name="tuples"/> (frame indices, each of length k).</summary>
    public Tensor Forward(Tensor frames, IReadOnlyList<int[]> tuples)
    {
        if (frames.ndim != 3 || frames.shape[2] != FeatureDimension)
            throw new ArgumentException($"scale {K} takes frame features [B, N, {FeatureDimension}], got [{string.Join(", ", frames.shape)}]", nameof(frames));
        if (tuples.Count == 0)
            throw new ArgumentException($"scale {K} needs at least one tuple", nameof(tuples));
        long n = frames.shape[1];
        var flat = new long[tuples.Count * K];
        for (int t = 0; t < tuples.Count; t++)
        {
            if (tuples[t].Length != K)
                throw new ArgumentException($"scale {K}: tuple {t} has {tuples[t].Length} frames", nameof(tuples));
            for (int i = 0; i < K; i++)
            {
                int f = tuples[t][i];
                if (f < 0 || f >= n)
                    throw new ArgumentOutOfRangeException(nameof(tuples), $"scale {K}: tuple {t} names frame {f} of {n}");
                flat[t * K + i] = f;
            }
        }
        using var scope = NewDisposeScope();
        using var index = tensor(flat, device: frames.device);
        var gathered = frames.index_select(1, index).reshape(frames.shape[0], tuples.Count, K * FeatureDimension);
        return forward(gathered).MoveToOuterDisposeScope();
    }
}
