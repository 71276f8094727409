using TorchSharp;
using TorchSharp.Modules;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Models.Temporal;

/// <summary>
/// The multi-scale Temporal Relation Network of Zhou et al. (ECCV 2018): per-frame features [B, N, D] in,
/// [B, E] out. MultiScale-TRN(V) = Σ_k T_k(V) over the scales k = N, N−1, …, 2, with
/// T_k(V) = h_k(Σ g_k(f_i1, …, f_ik)) summed over ordered k-frame tuples i1 &lt; … &lt; ik (see <see cref="RelationScale"/>).
/// Scale N sums its single full tuple. A smaller scale sums <see cref="TemporalRelationOptions.Subsample"/> of its
/// C(N, k) tuples: in training mode a fresh uniform choice without replacement per forward pass, drawn from a
/// <see cref="SeededRandom"/> seeded by <see cref="TemporalRelationOptions.Seed"/>; in eval mode the fixed choice of
/// <see cref="RelationTuples.EvaluationPositions"/> (evenly spread over the lexicographic list), so evaluation is
/// deterministic. Unlike the TRN code, which applies its last Linear to each tuple before summing, h follows the
/// paper and is applied once to the scale's sum (the same up to h's bias, counted once per scale).
/// </summary>
public sealed class TemporalRelation : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<RelationScale> scales;
    private readonly int[][][] _all;
    private SeededRandom _random;

    /// <summary>Creates the relation module for <paramref name="frames"/> frames (at least 2) of <paramref name="featureDimension"/> features to <paramref name="outputDimension"/> outputs.</summary>
    public TemporalRelation(int frames, long featureDimension, long outputDimension, TemporalRelationOptions? options = null) : base(nameof(TemporalRelation))
    {
        options ??= new TemporalRelationOptions();
        if (frames < 2)
            throw new ArgumentOutOfRangeException(nameof(frames), frames, "a temporal relation needs at least 2 frames");
        if (featureDimension <= 0 || outputDimension <= 0 || options.Bottleneck <= 0)
            throw new ArgumentException($"feature ({featureDimension}), output ({outputDimension}) and bottleneck ({options.Bottleneck}) widths must be positive");
        if (options.Subsample < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.Subsample, "subsample must be at least 1");
        Frames = frames;
        FeatureDimension = featureDimension;
        OutputDimension = outputDimension;
        Options = options;
        Scales = Enumerable.Range(2, frames - 1).Reverse().ToArray();
        _all = Scales.Select(k => RelationTuples.All(frames, k).ToArray()).ToArray();
        EvaluationTuples = _all.Select(all => (IReadOnlyList<int[]>)RelationTuples.EvaluationPositions(all.Length, options.Subsample).Select(p => all[p]).ToArray()).ToArray();
        _random = new SeededRandom(options.Seed);
        scales = new ModuleList<RelationScale>(Scales.Select(k => new RelationScale(k, featureDimension, options.Bottleneck, outputDimension)).ToArray());
        RegisterComponents();
    }

    /// <summary>Frames per clip N.</summary>
    public int Frames { get; }

    /// <summary>Width D of a frame's features.</summary>
    public long FeatureDimension { get; }

    /// <summary>Output width E.</summary>
    public long OutputDimension { get; }

    /// <summary>The options.</summary>
    public TemporalRelationOptions Options { get; }

    /// <summary>The scales k in order: N, N−1, …, 2 (the order of the parameters scales.0, scales.1, …).</summary>
    public IReadOnlyList<int> Scales { get; }

    /// <summary>The tuples summed in eval mode, per scale (in <see cref="Scales"/> order).</summary>
    public IReadOnlyList<IReadOnlyList<int[]>> EvaluationTuples { get; }

    /// <summary>The training tuple generator's state (for checkpoints); setting it resumes the sequence.</summary>
    public ulong[] RandomState
    {
        get => _random.State;
        set => _random = new SeededRandom(value);
    }

    /// <summary>
    /// The tuples the next forward pass sums, per scale: <see cref="EvaluationTuples"/> when
    /// <paramref name="training"/> is false, else a fresh random choice (advancing the generator).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<int[]>> ChooseTuples(bool training)
    {
        if (!training)
            return EvaluationTuples;
        return _all.Select(all => (IReadOnlyList<int[]>)RelationTuples.RandomPositions(all.Length, Options.Subsample, _random).Select(p => all[p]).ToArray()).ToArray();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Forward(input, ChooseTuples(training));

    /// <summary>The relation output [B, E] of <paramref name="input"/> [B, N, D] summing the given tuples per scale (in <see cref="Scales"/> order).</summary>
    public Tensor Forward(Tensor input, IReadOnlyList<IReadOnlyList<int[]>> tuples)
    {
        if (input.ndim != 3 || input.shape[1] != Frames || input.shape[2] != FeatureDimension)
            throw new ArgumentException($"the temporal relation takes [B, {Frames}, {FeatureDimension}] frame features, got [{string.Join(", ", input.shape)}]", nameof(input));
        if (tuples.Count != Scales.Count)
            throw new ArgumentException($"expected tuples for {Scales.Count} scales ({string.Join(", ", Scales)}), got {tuples.Count}", nameof(tuples));
        using var scope = NewDisposeScope();
        Tensor total = scales[0].Forward(input, tuples[0]);
        for (int s = 1; s < Scales.Count; s++)
            total = total.add(scales[s].Forward(input, tuples[s]), Scalars.One);
        return total.MoveToOuterDisposeScope();
    }
}
