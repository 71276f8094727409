using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using TorchSharp;
using Xbm.Configuration;
using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// The memory-loss step of docs/design.md §7: forward and backward of each loss for B = 128 queries (with gradient)
/// against M = 50,000 memory keys (without gradient), d = 512, next to the bare B×d×M product in the same run.
/// The floor is 2 products (one forward, one backward for the queries). Each loss-step iteration is also timed
/// against a bare product run right before and after it (<see cref="PairedRatioColumn"/>).
/// </summary>
public class MemoryLossBenchmarks
{
    /// <summary>Loss configurations benchmarked (registry settings, "name;key=value;...").</summary>
    public static IEnumerable<string> Losses() => new[]
    {
        "contrastive",
        "weighted",
        "weighted;negative.curve=exponential",
        "multi_similarity",
        "triplet",
        "triplet;strategy=semi_hard",
        "triplet;strategy=all",
        "lifted_structure",
        "npair",
        "infonce",
        "contrastive;miner=hardest_negatives",
        "contrastive;miner=multi_similarity",
        "contrastive;miner=pair_margin",
    };

    internal const int B = 128, D = 512, M = 50_000;
    private const int MemoryClasses = 100;
    private Tensor _queries = null!, _queryLabels = null!, _keys = null!, _keyLabels = null!, _ownKeys = null!, _dense = null!;
    private readonly Dictionary<string, IPairLoss> _losses = new();
    private double _productBefore, _lastStep;
    private string? _lastLoss;

    /// <summary>
    /// The embeddings: "random" (default; independent random unit vectors, 100 classes, so each query has ~500
    /// positives in the memory) or "sop" (SOP-like and settled: classes of 5 in 12 super-classes, positives at
    /// cosine ~0.7, negatives of the same super-class at ~0.43 ± 0.05, others near 0).
    /// </summary>
    public string Data { get; set; } = "random";

    /// <summary>Threads = cores; seeded embeddings; the queries' own copies sit in the first B memory slots.</summary>
    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(Environment.ProcessorCount);
        manual_seed(1);
        int classes = Data == "sop" ? M / 5 : MemoryClasses;
        _queryLabels = randperm(classes).narrow(0, 0, 32).repeat_interleave(4).DetachFromDisposeScope();
        var keyLabels = Data == "sop" ? randperm(M).remainder(classes) : randint(0, classes, new long[] { M }, dtype: int64);
        var (queries, keys) = Data switch
        {
            "random" => (nn.functional.normalize(randn(B, D), dim: 1), nn.functional.normalize(randn(M, D), dim: 1)),
            "sop" => SettledEmbeddings(_queryLabels, keyLabels, classes),
            _ => throw new ArgumentException($"loss-step data '{Data}' is not random or sop"),
        };
        keys.narrow(0, 0, B).copy_(queries);
        keyLabels.narrow(0, 0, B).copy_(_queryLabels);
        _queries = queries.requires_grad_(true).DetachFromDisposeScope();
        _keys = keys.DetachFromDisposeScope();
        _keyLabels = keyLabels.DetachFromDisposeScope();
        _ownKeys = arange(B, dtype: int64).DetachFromDisposeScope();
        _dense = randn(B, M).DetachFromDisposeScope();
        foreach (string spec in Losses())
            _losses[spec] = Create(spec);
    }

    // Class centres around 12 super-class centres (cosine ~0.61 within a super-class), embeddings around their class
    // centre (cosine ~0.7 within a class): unit vectors, so S = Q·Kᵀ is a cosine.
    private static (Tensor Queries, Tensor Keys) SettledEmbeddings(Tensor queryLabels, Tensor keyLabels, int classes)
    {
        using var superNoise = 0.8.ToScalar();
        using var instanceNoise = Math.Sqrt(0.43).ToScalar();
        var supers = nn.functional.normalize(randn(12, D), dim: 1);
        var superOf = randint(0, 12, new long[] { classes }, dtype: int64);
        var centres = nn.functional.normalize(supers.index_select(0, superOf).add(nn.functional.normalize(randn(classes, D), dim: 1), superNoise), dim: 1);
        Tensor Around(Tensor labels) => nn.functional.normalize(centres.index_select(0, labels).add(nn.functional.normalize(randn(labels.shape[0], D), dim: 1), instanceNoise), dim: 1);
        return (Around(queryLabels), Around(keyLabels));
    }

    /// <summary>Whether the last step of <paramref name="loss"/> took its gradient product sparse (false for the tensor form).</summary>
    public bool LastProductWasSparse(string loss) =>
        _losses.TryGetValue(loss, out var created) && ((created as MinedPairLoss)?.Loss ?? created) is PairLoss { LastProductWasSparse: true };

    /// <summary>The bare B×d×M similarity product Q·Kᵀ (the unit of the ratios).</summary>
    [Benchmark]
    public void Matmul()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _queries.matmul(_keys.t());
    }

    /// <summary>The backward product of a loss step: a dense B×M weight matrix times the keys.</summary>
    [Benchmark]
    public void WeightedKeysProduct()
    {
        using var scope = NewDisposeScope();
        _dense.matmul(_keys);
    }

    /// <summary>Forward and backward of one memory loss.</summary>
    [Benchmark]
    [ArgumentsSource(nameof(Losses))]
    public void LossStep(string loss)
    {
        var watch = Stopwatch.StartNew();
        using (var scope = NewDisposeScope())
        {
            _queries.grad?.zero_();
            if (!_losses.TryGetValue(loss, out var created))
                _losses[loss] = created = Create(loss);
            var output = created.Compute(_queries, _queryLabels, _keys, _keyLabels, _ownKeys);
            output.Loss.backward();
        }
        _lastStep = watch.Elapsed.TotalMilliseconds;
        _lastLoss = loss;
    }

    /// <summary>
    /// The forward pass of one memory loss alone, with queries that carry no gradient: S = Q·Kᵀ and the row evaluation,
    /// without the gradient product G·K (the phases of <c>loss-step --phases</c>).
    /// </summary>
    public void ForwardOnly(string loss)
    {
        using var scope = NewDisposeScope();
        if (!_losses.TryGetValue(loss, out var created))
            _losses[loss] = created = Create(loss);
        using var queries = _queries.detach();
        created.Compute(queries, _queryLabels, _keys, _keyLabels, _ownKeys);
    }

    /// <summary>Times a bare product before each loss-step iteration (not part of the measurement).</summary>
    [IterationSetup(Target = nameof(LossStep))]
    public void ProductBefore() => _productBefore = TimeProduct();

    /// <summary>Times a bare product after each loss-step iteration and records the paired ratio.</summary>
    [IterationCleanup(Target = nameof(LossStep))]
    public void ProductAfter()
    {
        double after = TimeProduct();
        if (_lastLoss is not null)
            PairedRatioColumn.Record(PairedRatioColumn.Key(nameof(LossStep), new[] { _lastLoss }), _lastStep / ((_productBefore + after) / 2));
        _lastLoss = null;
    }

    private double TimeProduct()
    {
        var watch = Stopwatch.StartNew();
        Matmul();
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>
    /// Builds a loss from "name;key=value;..." (dotted keys go to nested sections, miner=... to the miner, form=tensor
    /// turns off the host row form, sparse=false the sparse gradient product).
    /// </summary>
    public static IPairLoss Create(string spec)
    {
        string[] parts = spec.Split(';');
        var loss = new Dictionary<string, object?> { ["name"] = parts[0] };
        Dictionary<string, object?>? miner = null;
        bool tensorForm = false, sparse = true;
        foreach (string part in parts.Skip(1))
        {
            var (key, value) = (part.Split('=')[0], part.Split('=')[1]);
            if (key == "form")
                tensorForm = value == "tensor";
            else if (key == "sparse")
                sparse = value != "false";
            else if (key == "miner")
                miner = new Dictionary<string, object?> { ["name"] = value };
            else if (key.Contains('.'))
            {
                string[] path = key.Split('.');
                if (!loss.TryGetValue(path[0], out var nested) || nested is not Dictionary<string, object?> section)
                    loss[path[0]] = section = new Dictionary<string, object?>();
                section[path[1]] = value;
            }
            else
                loss[key] = value;
        }
        var created = LossFactory.Create(new ConfigSection(loss, "benchmark", "loss"),
            miner is null ? null : new ConfigSection(miner, "benchmark", "miner"));
        if (((created as MinedPairLoss)?.Loss ?? created) is PairLoss pairLoss)
        {
            pairLoss.HostRows = !tensorForm;
            pairLoss.SparseGradientProduct = sparse;
        }
        return created;
    }
}
