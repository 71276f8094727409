namespace Xbm.Tests.Cli;

/// <summary>`xbm weights inspect` on what is not a .safetensors file: a clear error naming the file (issue 12).</summary>
[Collection(CliCollection.Name)]
public sealed class WeightsInspectErrorTests(TinyRuns runs)
{
    [Fact]
    public void AFolderIsNamedAsAFolder()
    {
        string folder = runs.Scratch("weights-folder");
        Assert.Contains($"error: {folder}: is a folder, expected a .safetensors file", CliRunner.FailsWithUserError("weights", "inspect", folder));
    }

    [Fact]
    public void AMissingFileIsNamedAsMissing()
    {
        string path = Path.Combine(runs.Scratch("weights-missing"), "model.safetensors");
        Assert.Contains($"error: {path}: does not exist (expected a .safetensors file)", CliRunner.FailsWithUserError("weights", "inspect", path));
    }

    [Fact]
    public void RandomBytesAreNotASafetensorsFile()
    {
        string path = Path.Combine(runs.Scratch("weights-random"), "random.safetensors");
        var bytes = new byte[1000];
        new Random(3).NextBytes(bytes);
        bytes[7] = 0xF0; // a header length far beyond the file, whatever the other bytes
        File.WriteAllBytes(path, bytes);
        string output = CliRunner.FailsWithUserError("weights", "inspect", path);
        Assert.Contains($"error: {path}: is not a safetensors file: its header length ", output);
        Assert.Contains("is impossible for a file of 1000 bytes", output);
        Assert.DoesNotContain("header length -", output);
    }

    [Fact]
    public void ATooShortFileIsNotASafetensorsFile()
    {
        string path = Path.Combine(runs.Scratch("weights-short"), "short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains($"error: {path}: is not a safetensors file: it has 3 bytes", CliRunner.FailsWithUserError("weights", "inspect", path));
    }
}
