using System.Diagnostics;

namespace Xbm.Tests.Distributed;

/// <summary>Runs only where Open MPI's mpirun is installed; elsewhere the test is reported as skipped with the reason.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiRun.Launcher is null)
            Skip = "MPI test skipped: mpirun is not installed (apt-get install -y --no-install-recommends openmpi-bin libopenmpi-dev)";
    }
}

/// <summary>A theory that runs only where Open MPI's mpirun is installed (as <see cref="MpiFactAttribute"/>).</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (MpiRun.Launcher is null)
            Skip = "MPI test skipped: mpirun is not installed (apt-get install -y --no-install-recommends openmpi-bin libopenmpi-dev)";
    }
}

/// <summary>Starts the built xbm tool in one process or under mpirun on the loopback, with a time limit.</summary>
internal static class MpiRun
{
    /// <summary>mpirun's path, or null when it is not on PATH.</summary>
    public static string? Launcher { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Select(folder => Path.Combine(folder, "mpirun")).FirstOrDefault(File.Exists);

    private static string Host => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";

    private static string Tool => Path.Combine(AppContext.BaseDirectory, "Xbm.Cli.dll");

    /// <summary>The start of <c>xbm</c> with <paramref name="arguments"/>: in one process (<paramref name="ranks"/> 0) or under mpirun -np ranks.</summary>
    public static ProcessStartInfo Start(int ranks, params string[] arguments)
    {
        var info = new ProcessStartInfo(ranks == 0 ? Host : Launcher!) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (ranks > 0)
            foreach (string arg in new[] { "--allow-run-as-root", "--oversubscribe", "--mca", "btl", "self,vader,tcp", "-np", ranks.ToString(), Host })
                info.ArgumentList.Add(arg);
        info.ArgumentList.Add(Tool);
        foreach (string arg in arguments)
            info.ArgumentList.Add(arg);
        return info;
    }

    /// <summary>Runs to the end within <paramref name="seconds"/>; returns the exit code and the output (stdout then stderr).</summary>
    public static (int ExitCode, string Output) Run(ProcessStartInfo info, int seconds = 120)
    {
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(seconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} did not finish in {seconds} s:\n{stdout.Result}\n{stderr.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
