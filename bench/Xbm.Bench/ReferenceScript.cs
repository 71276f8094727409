using System.Diagnostics;
using System.Text.Json;

namespace Xbm.Bench;

/// <summary>Runs a PyTorch reference script of bench/reference with Debian's /usr/bin/python3 and reads the JSON line it prints.</summary>
public static class ReferenceScript
{
    /// <summary>
    /// Runs bench/reference/<paramref name="script"/> with <paramref name="arguments"/> and returns the
    /// <c>images_per_second</c> of the JSON line it prints last.
    /// </summary>
    public static double ImagesPerSecond(string repository, string script, IEnumerable<string> arguments)
    {
        using var json = LastJson(repository, script, arguments);
        return json.RootElement.GetProperty("images_per_second").GetDouble();
    }

    /// <summary>Runs bench/reference/<paramref name="script"/> with <paramref name="arguments"/> and parses the JSON line it prints last.</summary>
    public static JsonDocument LastJson(string repository, string script, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(repository, "bench", "reference", script));
        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} exited with {process.ExitCode} (needs /usr/bin/python3 with python3-torch and python3-numpy)");
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]);
    }
}
