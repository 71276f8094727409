namespace Xbm.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class StudyArmsCommandTests(TinyRuns runs)
{
    [Fact]
    public void AnArmWithoutItsColonIsAUserErrorBeforeAnyTraining()
    {
        string folder = runs.Scratch("arms");
        string config = Path.Combine(folder, "tiny.yaml");
        File.WriteAllText(config, TestPaths.TinyConfig(memory: false, iterations: 2));
        string output = CliRunner.FailsWithUserError("study", "arms", "--config", config, "--seeds", "1", "--out", Path.Combine(folder, "study"),
            "--arm", "plain", "--arm", "late memory.start_iteration=5");
        Assert.Contains("error: arm 'late memory.start_iteration=5': no colon after the name", output);
        Assert.Contains("\"NAME: key=value; ...\"", output);
        Assert.False(Directory.Exists(Path.Combine(folder, "study")), "nothing was trained");
    }
}
