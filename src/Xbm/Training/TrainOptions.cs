using Xbm.Configuration;
using Xbm.Data;
using Xbm.Memory;

namespace Xbm.Training;

/// <summary>What the trainer does when a loss or gradient is not finite.</summary>
public enum NonFinitePolicy
{
    /// <summary>Stop the run with an error (the last checkpoint stays intact).</summary>
    Stop,

    /// <summary>Skip the step (no update, no enqueue) and count it.</summary>
    Skip,
}

/// <summary>Optimizer settings.</summary>
/// <param name="Name">adam, adamw or sgd.</param>
/// <param name="LearningRate">Base learning rate.</param>
/// <param name="WeightDecay">Weight decay (L2 for adam/sgd, decoupled for adamw).</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="Beta1">Adam β1.</param>
/// <param name="Beta2">Adam β2.</param>
/// <param name="GradientClip">Clip the global gradient norm to this value; null = no clipping.</param>
public sealed record OptimizerOptions(string Name = "adam", double LearningRate = 1e-3, double WeightDecay = 0, double Momentum = 0.9,
    double Beta1 = 0.9, double Beta2 = 0.999, double? GradientClip = null);

/// <summary>Learning-rate schedule: linear warm-up, then constant, step or cosine.</summary>
/// <param name="Kind">constant, step or cosine.</param>
/// <param name="WarmupIterations">Iterations of linear warm-up from 0 to the base rate.</param>
/// <param name="StepAt">Iterations at which the step schedule multiplies the rate by <paramref name="Gamma"/>.</param>
/// <param name="Gamma">Step factor.</param>
/// <param name="MinimumFactor">Cosine floor as a fraction of the base rate.</param>
public sealed record ScheduleOptions(string Kind = "constant", long WarmupIterations = 0, IReadOnlyList<long>? StepAt = null, double Gamma = 0.1, double MinimumFactor = 0);

/// <summary>Everything the trainer needs besides the components (model, loss, memory, data).</summary>
public sealed record TrainOptions
{
    /// <summary>Seed for sampling, initialisation and augmentation.</summary>
    public long Seed { get; init; }

    /// <summary>Iterations when a config has no "iterations" key.</summary>
    public const long DefaultIterations = 1000;

    /// <summary>Training iterations.</summary>
    public long Iterations { get; init; } = DefaultIterations;

    /// <summary>
    /// Training batches loaded ahead on a background thread (sampler.prefetch, default 2; 0 = load on the training
    /// thread). Batches are identical either way.
    /// </summary>
    public int Prefetch { get; init; } = 2;

    /// <summary>Optimizer settings.</summary>
    public OptimizerOptions Optimizer { get; init; } = new();

    /// <summary>Learning-rate schedule.</summary>
    public ScheduleOptions Schedule { get; init; } = new();

    /// <summary>Memory wiring.</summary>
    public XbmOptions Memory { get; init; } = new();

    /// <summary>Evaluate every this many iterations (0 = only at the end).</summary>
    public long EvaluateEvery { get; init; }

    /// <summary>Which split periodic evaluations use: validation (when the data has one) or test.</summary>
    public string EvaluateOn { get; init; } = "test";

    /// <summary>Write a checkpoint every this many iterations (0 = only at the end).</summary>
    public long CheckpointEvery { get; init; } = 500;

    /// <summary>How many checkpoints to keep (the newest).</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Write a metrics row every this many iterations.</summary>
    public long LogEvery { get; init; } = 10;

    /// <summary>Write TensorBoard event files.</summary>
    public bool TensorBoard { get; init; } = true;

    /// <summary>Policy for non-finite losses or gradients.</summary>
    public NonFinitePolicy OnNonFinite { get; init; } = NonFinitePolicy.Stop;

    /// <summary>Batch size used to embed images for evaluation and memory initialisation.</summary>
    public int EmbedBatchSize { get; init; } = 256;

    /// <summary>
    /// Reads the trainer's keys from a config root: seed, iterations, optimizer, schedule, checkpoint, logging,
    /// on_non_finite; the sampler, memory wiring and evaluation settings come from their sections' owners
    /// (<see cref="SamplerConfig"/>, <see cref="MemoryConfig"/>, <see cref="EvaluationConfig"/>). Errors name the file and key.
    /// </summary>
    public static TrainOptions FromConfig(ConfigSection root, SamplerConfig sampler, XbmOptions memory, EvaluationConfig evaluation)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(evaluation);
        long iterations = ReadIterations(root);
        var optimizer = root.Section("optimizer", "name");
        var schedule = root.Section("schedule", ConfigLoader.ShorthandKey("schedule"));
        var checkpoint = root.Section("checkpoint");
        var logging = root.Section("logging");

        var options = new TrainOptions
        {
            Seed = root.Long("seed", 0, min: 0),
            Iterations = iterations,
            Prefetch = sampler.Prefetch,
            Optimizer = new OptimizerOptions(
                optimizer.Choice("name", "adam", "adam", "adamw", "sgd"),
                optimizer.Double("lr", 1e-3, min: 0, max: 10),
                optimizer.Double("weight_decay", 0, min: 0),
                optimizer.Double("momentum", 0.9, min: 0, max: 1),
                optimizer.Double("beta1", 0.9, min: 0, max: 1),
                optimizer.Double("beta2", 0.999, min: 0, max: 1),
                optimizer.OptionalDouble("gradient_clip", min: 0)),
            Schedule = new ScheduleOptions(
                schedule.Choice("kind", "constant", "constant", "step", "cosine"),
                schedule.Long("warmup_iterations", 0, min: 0, max: iterations),
                schedule.LongList("step_at", Array.Empty<long>(), min: 1),
                schedule.Double("gamma", 0.1, min: 0, max: 1),
                schedule.Double("min_factor", 0, min: 0, max: 1)),
            Memory = memory,
            EvaluateEvery = evaluation.Every,
            EvaluateOn = evaluation.On,
            EmbedBatchSize = evaluation.BatchSize,
            CheckpointEvery = checkpoint.Long("every", 500, min: 0),
            KeepCheckpoints = checkpoint.Int("keep", 2, min: 1),
            LogEvery = logging.Long("every", 10, min: 1),
            TensorBoard = logging.Bool("tensorboard", true),
            OnNonFinite = root.Choice("on_non_finite", "stop", "stop", "skip") == "skip" ? NonFinitePolicy.Skip : NonFinitePolicy.Stop,
        };

        // Unknown keys first: a misspelt key often causes the consistency errors below.
        optimizer.EnsureAllUsed();
        schedule.EnsureAllUsed();
        checkpoint.EnsureAllUsed();
        logging.EnsureAllUsed();
        foreach (long step in options.Schedule.StepAt ?? Array.Empty<long>())
            if (step > iterations)
                throw schedule.Error("step_at", $"{step} is past the end of training (iterations: {iterations})");
        return options;
    }

    /// <summary>The config's "iterations" (at least 1; <see cref="DefaultIterations"/> when absent): the one reader of the key.</summary>
    public static long ReadIterations(ConfigSection root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return root.Long("iterations", DefaultIterations, min: 1);
    }
}
