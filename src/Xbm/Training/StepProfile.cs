using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// Where a training run's time goes (<c>xbm train --profile</c>): the trainer marks the end of each phase of every
/// step, and the time since the previous mark is added to that phase. On a CUDA device each mark first waits for
/// the device (kernels run asynchronously), which slows the run a little but makes the phases true; on the CPU
/// libtorch's operations are synchronous and a mark costs nothing measurable.
/// </summary>
public sealed class StepProfile
{
    /// <summary>The phases of a training step, and of the work between steps.</summary>
    public enum Phase
    {
        /// <summary>Waiting for the batch (decoding and augmentation when not prefetched) and copying it to the device.</summary>
        Data,
        /// <summary>The model's forward pass over the batch.</summary>
        Forward,
        /// <summary>The batch loss (and the classification task's cross-entropy).</summary>
        Loss,
        /// <summary>Enqueueing the batch and the memory loss against the memory (its two products' first), with its statistics.</summary>
        Memory,
        /// <summary>The backward pass of the whole loss through the model.</summary>
        Backward,
        /// <summary>Gradient norm or clipping, the optimizer's step.</summary>
        Optimizer,
        /// <summary>Data-parallel collectives outside the model and the loss (gathers, the key gradient, the gradient mean).</summary>
        Communication,
        /// <summary>Logging, drift probes and the step's bookkeeping.</summary>
        Logging,
        /// <summary>Writing checkpoints.</summary>
        Checkpoint,
        /// <summary>Evaluations during and at the end of training.</summary>
        Evaluation,
    }

    private readonly double[] _seconds = new double[Enum.GetValues<Phase>().Length];
    private readonly Stopwatch _clock = new();
    private readonly Device _device;
    private double _last;

    /// <summary>Profiles steps on <paramref name="device"/>.</summary>
    public StepProfile(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
    }

    /// <summary>Steps begun.</summary>
    public long Steps { get; private set; }

    /// <summary>Seconds spent in <paramref name="phase"/> so far.</summary>
    public double Seconds(Phase phase) => _seconds[(int)phase];

    /// <summary>Seconds in all phases.</summary>
    public double TotalSeconds => _seconds.Sum();

    /// <summary>Starts the clock of a step (the work since the last mark is not counted).</summary>
    public void BeginStep()
    {
        Steps++;
        Synchronize();
        _clock.Start();
        _last = _clock.Elapsed.TotalSeconds;
    }

    /// <summary>Adds the time since the previous mark to <paramref name="phase"/>.</summary>
    public void Mark(Phase phase)
    {
        Synchronize();
        double now = _clock.Elapsed.TotalSeconds;
        _seconds[(int)phase] += now - _last;
        _last = now;
    }

    /// <summary>One row per phase with time in it: seconds, milliseconds per step and share of the total.</summary>
    public IReadOnlyList<(Phase Phase, double Seconds, double MillisecondsPerStep, double Share)> Rows()
    {
        double total = Math.Max(1e-12, TotalSeconds);
        long steps = Math.Max(1, Steps);
        return Enum.GetValues<Phase>().Where(p => _seconds[(int)p] > 0)
            .Select(p => (p, _seconds[(int)p], 1000 * _seconds[(int)p] / steps, _seconds[(int)p] / total)).ToList();
    }

    /// <summary>Writes the rows as CSV (phase, seconds, ms_per_step, share), atomically.</summary>
    public void Write(string path)
    {
        var lines = new List<string> { "phase,seconds,ms_per_step,share" };
        lines.AddRange(Rows().Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Phase.ToString().ToLowerInvariant()},{r.Seconds:0.######},{r.MillisecondsPerStep:0.###},{r.Share:0.####}")));
        IO.AtomicFile.WriteAllText(path, string.Join('\n', lines) + "\n");
    }

    private void Synchronize()
    {
        if (_device.type == DeviceType.CUDA)
            cuda.synchronize(_device);
    }
}
