using System.Globalization;
using Xbm.Distributed;
using Xunit.Abstractions;

namespace Xbm.Tests.Distributed;

/// <summary>
/// docs/design.md §10 end to end: two ranks under mpirun, each with half of every batch, against one process with
/// the whole batch, compared step by step through the --trace-steps files.
/// </summary>
[Collection("mpirun")] // one mpirun job at a time
public sealed class MpiEquivalenceTests(ITestOutputHelper output) : IDisposable
{
    private const int Steps = 6;
    private readonly string _scratch = TestPaths.NewTemporaryFolder("xbm-mpi");

    /// <summary>A tiny run whose memory (40 rows, not a multiple of the batch of 16) starts at step 2 and wraps at step 4.</summary>
    internal static string Config(long iterations, long checkpointEvery, bool classification = false) => $"""
        seed: 3
        task: {(classification ? "classification" : "retrieval")}
        iterations: {iterations}
        threads: 1
        data:
          dataset: fashion_mnist
          root: {TestPaths.FashionMnistFixture}
          protocol: {(classification ? "classification" : "zero_shot")}
        model:
          backbone: small_cnn
          width: 4
          dimension: 16
          freeze_bn: true
        sampler:
          classes_per_batch: 4
          images_per_class: 4
        loss:
          name: contrastive
        optimizer:
          name: sgd
          lr: 1.0e-2
        evaluation:
          every: 0
        checkpoint:
          every: {checkpointEvery}
        logging:
          every: 1
          tensorboard: false
        memory:
          kind: fifo
          size: 40
          start_iteration: 2
          weight: 1.0
        """;

    /// <summary>The variants of <see cref="Config"/> the equivalence is tested on.</summary>
    private static string Variant(string name) => name switch
    {
        "retrieval" => Config(Steps, 3),
        // The cross-entropy on each rank's queries, the batch loss weighted.
        "classification" => Config(Steps, 3, classification: true) + "\nclassification:\n  batch_loss_weight: 0.5\n",
        // BatchNorm that trains (synchronised over the ranks), and a reduction that divides by a count of pairs. The
        // variants whose BatchNorm trains run NCHW: without oneDNN, libtorch's channels-last batch_norm rounds ten
        // times coarser than its NCHW one (1.6e-6 against 1.4e-7 of a float64 reference, outputs and input gradients),
        // which would blur the comparison of the one-process run with the ranks' (parameters then differed by 1.1e-6).
        "batchnorm_mean" => Config(Steps, 3).Replace("freeze_bn: true", "freeze_bn: false\n  channels_last: false")
            .Replace("name: contrastive", "name: multi_similarity\n  reduction: mean_nonzero"),
        // The adaptive start (rank 0 measures the drift and decides for every rank), a memory filled with random
        // training images when it starts, and the mean over the valid pairs.
        "drift_start_init" => Config(Steps, 3).Replace("name: contrastive", "name: contrastive\n  reduction: mean")
            .Replace("weight: 1.0", "weight: 1.0\n  init: random_train\n  start_drift: 100\n  start_drift_delta: 1")
            + "\ndrift:\n  probes: 8\n  deltas: [1]\n  every: 1\n",
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>
    /// A folder of PNG files decoded by two workers with prefetch, each rank decoding only its slice; BatchNorm that
    /// trains, and a memory that moment-matches its rows (adaptive cross-batch normalisation). The N-pair loss has no
    /// hinge, so float rounding in another summation order cannot move a pair across a margin (with the contrastive
    /// loss one pair did so at step 5 here, and the gradients then differed by 1e-3).
    /// </summary>
    private string FolderConfig()
    {
        string root = Faults.NativeLifetimeStressTests.WriteFolderDataset(Path.Combine(_scratch, "images"), classes: 8, perClass: 5);
        return $$"""
            seed: 5
            iterations: {{Steps}}
            threads: 1
            data:
              dataset: folder
              root: "{{root}}"
              image_size: 16
              resize: 20
              workers: 2
              augmentation: {flip: 0.5}
            model: {backbone: small_cnn, width: 4, dimension: 16, channels_last: false}
            sampler: {classes_per_batch: 4, images_per_class: 2, prefetch: 2}
            loss: {name: npair}
            optimizer: {name: sgd, lr: 1.0e-2}
            evaluation: {every: 0}
            checkpoint: {every: 3}
            logging: {every: 1, tensorboard: false}
            memory: {kind: adaptive_xbn, size: 24, start_iteration: 2, weight: 1.0}
            """;
    }

    [MpiTheory]
    [InlineData("retrieval")]
    [InlineData("classification")]
    [InlineData("batchnorm_mean")]
    [InlineData("drift_start_init")]
    [InlineData("image_folder")]
    public void TwoRanksWithHalfBatchesEqualOneProcessWithTheWholeBatch(string variant)
    {
        string config = Path.Combine(_scratch, "tiny.yaml");
        File.WriteAllText(config, variant == "image_folder" ? FolderConfig() : Variant(variant));
        string single = Path.Combine(_scratch, "trace-1"), spread = Path.Combine(_scratch, "trace-2");
        var one = MpiRun.Run(MpiRun.Start(0, "train", "--config", config, "--out", Path.Combine(_scratch, "run-1"), "--distributed", "none", "--trace-steps", single));
        Assert.True(one.ExitCode == 0, one.Output);
        string run = Path.Combine(_scratch, "run-2");
        var two = MpiRun.Run(MpiRun.Start(2, "train", "--config", config, "--out", run, "--trace-steps", spread));
        Assert.True(two.ExitCode == 0, two.Output);

        var reference = Lines(single, 0);
        var rank0 = Lines(spread, 0);
        var rank1 = Lines(spread, 1);
        Assert.Equal(Steps, reference.Length);
        Assert.Equal(Steps, rank0.Length);
        double lossError = 0, gradientError = 0, parameterError = 0;
        for (int step = 1; step <= Steps; step++)
        {
            // Both ranks' memories are bit-identical at every step (and filled from step 2 on).
            Assert.Equal(rank0[step - 1][4], rank1[step - 1][4]);
            if (step < 2)
                Assert.Equal("empty", rank0[step - 1][4]);
            else
                Assert.Matches("^[0-9A-F]{64}$", rank0[step - 1][4]);
            // Both ranks hold the same gradients and parameters exactly: they are averaged over the ranks.
            Assert.Equal(Values(spread, 0, step, "grad"), Values(spread, 1, step, "grad"));
            Assert.Equal(Values(spread, 0, step, "params"), Values(spread, 1, step, "params"));
            for (int column = 1; column <= 3; column++)
            {
                double a = Number(reference[step - 1][column]), b = Number(rank0[step - 1][column]);
                Assert.Equal(double.IsNaN(a), double.IsNaN(b));
                if (!double.IsNaN(a))
                    lossError = Math.Max(lossError, Math.Abs(a - b) / Math.Max(1, Math.Abs(a)));
            }
            double gradient = RelativeError(Values(single, 0, step, "grad"), Values(spread, 0, step, "grad"));
            double parameter = RelativeError(Values(single, 0, step, "params"), Values(spread, 0, step, "params"));
            output.WriteLine($"step {step}: loss {reference[step - 1][1]} and {rank0[step - 1][1]}, gradients {gradient:E2}, parameters {parameter:E2}");
            (gradientError, parameterError) = (Math.Max(gradientError, gradient), Math.Max(parameterError, parameter));
        }
        output.WriteLine($"largest relative differences over {Steps} steps: loss {lossError:E2}, gradients {gradientError:E2}, parameters {parameterError:E2}");
        // Reached (SGD): loss 5e-8, parameters 1.5e-7, gradients 4.4e-4. The gradients are small differences of large
        // terms at initialisation (the embeddings start nearly parallel, and normalisation removes their radial part),
        // so float rounding in another summation order shows there; a missing or doubled key gradient shows as O(1).
        // The folder run trains BatchNorm over slices of four small images, which amplifies the rounding step by step
        // (its losses drift smoothly apart, 1.6e-6 after 6 steps); unsynchronised BatchNorm shows as 5e-3 (batchnorm_mean).
        double lossTolerance = variant == "image_folder" ? 1e-5 : 1e-6;
        Assert.True(lossError < lossTolerance, $"loss differs by {lossError:E2}");
        Assert.True(gradientError < 2e-3, $"gradients differ by {gradientError:E2} of their largest magnitude");
        Assert.True(parameterError < 1e-6, $"parameters differ by {parameterError:E2} of their largest magnitude");
        // Rank 0 wrote the run; the other rank wrote only its trace.
        Assert.True(File.Exists(Path.Combine(run, "metrics.csv")));
        Assert.Equal(Steps, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length - 1);
    }

    /// <summary>The largest absolute difference relative to the largest magnitude of <paramref name="expected"/>.</summary>
    internal static double RelativeError(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v)), largest = 0;
        Assert.True(scale > 0, "all values are zero: the comparison would prove nothing");
        for (int i = 0; i < expected.Length; i++)
            largest = Math.Max(largest, Math.Abs((double)expected[i] - actual[i]));
        return largest / scale;
    }

    internal static string[][] Lines(string trace, int rank) =>
        File.ReadAllLines(StepTrace.LinesFile(trace, rank)).Select(line => line.Split('\t')).ToArray();

    private static float[] Values(string trace, int rank, int step, string kind) => StepTrace.ReadValues(StepTrace.ValuesFile(trace, rank, step, kind));

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
