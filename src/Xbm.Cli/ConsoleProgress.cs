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
    private readonly long _iterations;
    private ProgressTask? _task;
    private readonly DateTime _started = DateTime.UtcNow;
    private long _firstIteration = -1;

    /// <summary>Creates the observer for a run of <paramref name="iterations"/> iterations.</summary>
    public ConsoleProgress(string label, long iterations)
    {
        _label = label;
        _iterations = iterations;
    }

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
                _task = context.AddTask(Markup.Escape(_label), maxValue: _iterations);
                result = work();
                _task.Value = _iterations;
            });
        return result;
    }

    /// <inheritdoc />
    public void OnStep(StepReport r)
    {
        if (_firstIteration < 0)
            _firstIteration = r.Iteration - 1;
        string memory = r.Memory is null ? "" : $" mem {r.Memory.Fill:P0} ({r.Memory.Negatives} neg)";
        string text = $"{_label} it {r.Iteration}/{_iterations} loss {r.Loss.ToString("F4", CultureInfo.InvariantCulture)}{memory} {r.ImagesPerSecond:F0} img/s";
        if (_task is not null)
        {
            _task.Description = Markup.Escape(text);
            _task.Value = r.Iteration;
        }
        else if (r.Iteration % PlainEvery == 0 || r.Iteration == _iterations)
        {
            double done = (double)(r.Iteration - _firstIteration) / Math.Max(1, _iterations - _firstIteration);
            var elapsed = DateTime.UtcNow - _started;
            var eta = done > 0 ? TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - done) / done) : TimeSpan.Zero;
            Console.WriteLine($"{text} eta {eta:hh\\:mm\\:ss}");
        }
    }

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
