using System.Runtime.InteropServices;

namespace Xbm.Cli;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM while the tool runs: the first signal cancels <see cref="Token"/>, so training
/// finishes its step, writes a checkpoint and stops (exit 130 for SIGINT, 143 for SIGTERM); a second SIGINT
/// exits at once. While a trainer's current state is already on disk (during an evaluation right after a
/// checkpoint), the first signal exits at once too.
/// </summary>
public sealed class Interruption : IDisposable
{
    private static Interruption? _current;
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _signals;
    private volatile Func<string?>? _savedState;
    private volatile string? _stopping;

    private Interruption()
    {
        _registrations = OperatingSystem.IsWindows() || OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()
            ? new[] { PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal) }
            : Array.Empty<PosixSignalRegistration>();
    }

    /// <summary>Cancelled by the first SIGINT or SIGTERM while a command runs (none outside <see cref="Install"/>).</summary>
    public static CancellationToken Token => _current?._source.Token ?? CancellationToken.None;

    /// <summary>The exit code for the signal received: 130 (SIGINT) or 143 (SIGTERM); 130 when none was.</summary>
    public static int ExitCode => _current?.Signal == PosixSignal.SIGTERM ? 143 : 130;

    /// <summary>The first signal received, or null.</summary>
    public PosixSignal? Signal { get; private set; }

    /// <summary>Starts handling the signals for one run of the tool; dispose to stop.</summary>
    public static Interruption Install() => _current = new Interruption();

    /// <summary>What the first signal stops, said in its message (a command that does not train: "stopping the service").</summary>
    public static void Describe(string stopping)
    {
        if (_current is { } current)
            current._stopping = stopping;
    }

    /// <summary>
    /// While <paramref name="savedState"/> returns a checkpoint folder (the trainer's state is on disk), a signal
    /// exits at once naming it. Dispose the result when training is over.
    /// </summary>
    public static IDisposable WatchCheckpoint(Func<string?> savedState)
    {
        var current = _current;
        if (current is null)
            return new Scope(null);
        current._savedState = savedState;
        return new Scope(current);
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) > 1)
        {
            if (context.Signal == PosixSignal.SIGTERM)
                Environment.Exit(143);
            context.Cancel = false; // a second Ctrl-C: the default action, exit now
            return;
        }
        context.Cancel = true;
        Signal = context.Signal;
        if (_savedState?.Invoke() is { } checkpoint)
        {
            // Nothing has changed since this checkpoint (an evaluation is running): stop now.
            long iteration = Xbm.Training.Checkpoint.ReadInfo(checkpoint).Iteration;
            Console.Out.Flush();
            Console.Error.WriteLine(new Xbm.Training.TrainingInterruptedException(iteration, checkpoint).Message);
            Environment.Exit(ExitCode);
        }
        Console.Error.WriteLine($"{context.Signal}: {_stopping ?? "stopping after the current step and writing a checkpoint"} (Ctrl-C again exits at once)");
        _source.Cancel();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        if (ReferenceEquals(_current, this))
            _current = null;
        _source.Dispose();
    }

    private sealed class Scope(Interruption? owner) : IDisposable
    {
        public void Dispose()
        {
            if (owner is not null)
                owner._savedState = null;
        }
    }
}
