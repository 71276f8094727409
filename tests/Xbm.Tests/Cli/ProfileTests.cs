using System.Globalization;
using Xbm.Tests.Data.Images;

namespace Xbm.Tests.Cli;

/// <summary>`xbm train --profile`: the step-time breakdown of a run on a folder of PNG files with prefetch.</summary>
[Collection(CliCollection.Name)]
public sealed class ProfileTests(TinyRuns runs)
{
    [Fact]
    public void TrainProfilePrintsAndWritesWhereEachStepsTimeWent()
    {
        string work = runs.Scratch("profile");
        string images = Path.Combine(work, "images");
        PngFolders.Write(images, ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"], 4, side: 40);
        string config = Path.Combine(Xbm.Tests.Models.PaperConfigTestsAccess.RepositoryRoot(), "configs", "examples", "folder.yaml");
        string run = Path.Combine(work, "run");
        string output = CliRunner.Succeeds("train", "--config", config, "--out", run, "--profile", "--set", $"data.root={images}",
            "--set", "iterations=6", "--set", "memory.start_iteration=2", "--set", "data.image_size=32", "--set", "data.resize=36",
            "--set", "checkpoint.every=3", "--set", "evaluation.every=0");
        Assert.Contains("where the time went over 6 steps", output);

        var rows = File.ReadAllLines(Path.Combine(run, "profile.csv")).Skip(1).Select(line => line.Split(','))
            .ToDictionary(cells => cells[0], cells => (Seconds: double.Parse(cells[1], CultureInfo.InvariantCulture),
                PerStep: double.Parse(cells[2], CultureInfo.InvariantCulture), Share: double.Parse(cells[3], CultureInfo.InvariantCulture)));
        // Every phase of a step with a memory was measured, and so were the checkpoints and the final evaluation.
        foreach (string phase in new[] { "data", "forward", "loss", "memory", "backward", "optimizer", "logging", "checkpoint", "evaluation" })
        {
            Assert.True(rows.ContainsKey(phase), $"no {phase} row in profile.csv");
            Assert.True(rows[phase].Seconds > 0, $"{phase}: {rows[phase].Seconds} s");
            Assert.Equal(1000 * rows[phase].Seconds / 6, rows[phase].PerStep, 0.01);
        }
        Assert.DoesNotContain("communication", rows.Keys); // one process
        Assert.Equal(1.0, rows.Values.Sum(r => r.Share), 0.01);
        // The phases cover the training time the run recorded (which excludes only the final evaluation's wait).
        double phases = rows.Values.Sum(r => r.Seconds) - rows["evaluation"].Seconds;
        double trained = Xbm.Training.Trainer.ReadSummary(run)!.TrainingSeconds;
        Assert.InRange(phases, 0.5 * trained, 1.5 * trained + 0.5);
    }
}
