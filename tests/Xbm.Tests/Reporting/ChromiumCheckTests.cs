using System.Diagnostics;
using SkiaSharp;
using Xbm.Reporting;

namespace Xbm.Tests.Reporting;

/// <summary>Runs only where Debian's chromium is installed; elsewhere the test is reported as skipped with the reason.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Browser = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Browser))
            Skip = $"headless Chromium check skipped: {Browser} is not installed (apt-get install -y chromium)";
    }
}

/// <summary>The report renders in a real browser: tools/check_report.sh with headless Chromium.</summary>
public sealed class ChromiumCheckTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"xbm-chromium-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    /// <summary>The repository root (holding Xbm.slnx), searched upwards from the test binaries.</summary>
    public static string Repository()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "Xbm.slnx")))
                return folder.FullName;
        throw new DirectoryNotFoundException("Xbm.slnx not found above " + AppContext.BaseDirectory);
    }

    private static (int ExitCode, string Output) CheckReport(params string[] arguments)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repository(), "tools", "check_report.sh"));
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    [ChromiumFact]
    public void ChromiumRendersEveryImageAndTableOfTheReport()
    {
        string baseline = SyntheticRuns.Write(_folder, "baseline", seed: 0, memory: false, drift: false);
        string xbm = SyntheticRuns.Write(_folder, "xbm", seed: 0, memory: true, drift: true);
        var result = RunReport.Write([baseline, xbm], Path.Combine(_folder, "out"), new ReportOptions { RetrievalGrids = false });
        string screenshot = Path.Combine(_folder, "screenshot.png");

        var (code, output) = CheckReport(result.HtmlPath, screenshot);
        Assert.True(code == 0, output);
        Assert.Contains($"images loaded {result.Images.Count} of {result.Images.Count} (broken 0), tables {result.Tables} of {result.Tables}", output);
        // The screenshot is not blank: the page drew text and plots in several colours.
        using var shot = SKBitmap.Decode(screenshot);
        Assert.NotNull(shot);
        var colours = new HashSet<uint>();
        for (int y = 0; y < shot.Height; y += 7)
            for (int x = 0; x < shot.Width; x += 7)
                colours.Add((uint)shot.GetPixel(x, y));
        Assert.True(colours.Count > 20, $"the screenshot looks blank ({colours.Count} colours)");
    }

    [ChromiumFact]
    public void ABrokenImageFailsTheCheck()
    {
        string run = SyntheticRuns.Write(_folder, "baseline", seed: 0, memory: false, drift: false);
        var result = RunReport.Write([run], Path.Combine(_folder, "out"), new ReportOptions { RetrievalGrids = false });
        File.WriteAllText(Path.Combine(_folder, "out", "loss.png"), "not a png");
        var (code, output) = CheckReport(result.HtmlPath);
        Assert.Equal(1, code);
        Assert.Contains($"images loaded {result.Images.Count - 1} of {result.Images.Count} (broken 1)", output);
        Assert.Contains("FAIL", output);
    }
}
