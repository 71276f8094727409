using System.Globalization;
using Spectre.Console;
using Xbm.Training;

namespace Xbm.Cli;

/// <summary>
/// Shows training progress: a Spectre.Console progress bar (loss, memory fill, ETA) on an interactive
/// terminal, or a plain line every <see cref="PlainEvery"/> iterations when output is redirected (CI, logs).
/// </summary>
public sealed class ConsoleProgress : ITrainingObserver
{
    private readonly string _label;
    private ProgressTask? _task;
    private readonly DateTime _started = DateTime.UtcNow;
    private long _firstIteration = -1;

    /// <summary>Creates the observer for a run of <paramref name="iterations"/> iterations (0 until the run's options say).</summary>
    public ConsoleProgress(string label, long iterations = 0)
    {
        _label = label;
        Iterations = iterations;
    }

    /// <summary>The run's last iteration: set it from the built run's options (TrainingRun.Options) before <see cref="Run{T}"/>.</summary>
    public long Iterations { get; set; }

    /// <summary>Interval of plain progress lines when the console is not interactive.</summary>
    public long PlainEvery { get; init; } = 500;

    /// <summary>True when a live progress bar can be drawn.</summary>
    public static bool Interactive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    /// <summary>Runs <paramref name="work"/> with a live progress bar when interactive.</summary>
    public T Run<T>(Func<T> work)
    {
        if (!Interactive)
            return work();
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                _task = context.AddTask(Markup.Escape(_label), maxValue: Iterations);
                result = work();
                _task.Value = Iterations;
            });
        return result;
    }

    /// <inheritdoc />
    public void OnStep(StepReport r)
    {
        if (_firstIteration < 0)
            _firstIteration = r.Iteration - 1;
        string text = $"{_label} it {r.Iteration}/{Iterations} {Losses(r)} {r.ImagesPerSecond:F0} img/s";
        if (_task is not null)
        {
            _task.Description = Markup.Escape(text);
            _task.Value = r.Iteration;
        }
        else if (r.Iteration % PlainEvery == 0 || r.Iteration == Iterations)
        {
            double done = (double)(r.Iteration - _firstIteration) / Math.Max(1, Iterations - _firstIteration);
            var elapsed = DateTime.UtcNow - _started;
            var eta = done > 0 ? TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - done) / done) : TimeSpan.Zero;
            Console.WriteLine($"{text} eta {eta:hh\\:mm\\:ss}");
        }
    }

    /// <summary>
    /// The losses of a step, batch and memory apart, each as the reduced value and, when the reduction is a sum
    /// over pairs, the mean per contributing pair: "batch 0.8123 (0.0203/pair)  memory 512.3 (0.0412/pair, 1,243,000
    /// pairs, 37% full)". The summed memory loss grows with the memory; its per-pair mean does not.
    /// </summary>
    public static string Losses(StepReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var text = new System.Text.StringBuilder();
        text.Append(r.Memory is null ? "loss " : "batch ").Append(Number(r.BatchLoss));
        if (double.IsFinite(r.BatchLossPerPair))
            text.Append(" (").Append(Number(r.BatchLossPerPair)).Append("/pair)");
        if (r.Memory is { } m)
        {
            text.Append("  memory ").Append(Number(r.MemoryLoss)).Append(" (");
            if (double.IsFinite(r.MemoryLossPerPair))
                text.Append(Number(r.MemoryLossPerPair)).Append("/pair, ");
            text.Append((m.Positives + m.Negatives).ToString("N0", CultureInfo.InvariantCulture)).Append(" pairs, ")
                .Append((100 * m.Fill).ToString("F0", CultureInfo.InvariantCulture)).Append("% full)");
        }
        return text.ToString();
    }

    private static string Number(double value) => !double.IsFinite(value) ? "-"
        : Math.Abs(value) >= 100 ? value.ToString("F1", CultureInfo.InvariantCulture) : value.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>Interval of progress lines during long phases (evaluation) when the console is not interactive.</summary>
    public TimeSpan ProgressEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public void OnProgress(string phase, long done, long total)
    {
        if (_task is not null)
        {
            _task.Description = Markup.Escape($"{_label} {phase}: {done:N0}/{total:N0} images");
            return;
        }
        lock (_throttles)
        {
            if (!_throttles.TryGetValue(phase, out var throttle) || (done < _lastDone.GetValueOrDefault(phase)))
                _throttles[phase] = throttle = new Runtime.ThrottledProgress(ProgressEvery,
                    (d, t) => Console.WriteLine($"{_label} {phase}: {d.ToString("N0", CultureInfo.InvariantCulture)}/{t.ToString("N0", CultureInfo.InvariantCulture)} images"));
            _lastDone[phase] = done;
            throttle.Report(done, total);
        }
    }

    private readonly Dictionary<string, Runtime.ThrottledProgress> _throttles = new();
    private readonly Dictionary<string, long> _lastDone = new();

    /// <inheritdoc />
    public void OnEvaluation(long iteration, string split, IReadOnlyDictionary<string, double> metrics)
    {
        string values = string.Join("  ", metrics.Select(p => $"{p.Key} {100 * p.Value:F2}"));
        Write($"{_label} it {iteration} {split}: {values}");
    }

    /// <inheritdoc />
    public void OnMessage(string message) => Write($"{_label}: {message}");

    private void Write(string line)
    {
        if (_task is not null)
            AnsiConsole.MarkupLine(Markup.Escape(line));
        else
            Console.WriteLine(line);
    }
}
