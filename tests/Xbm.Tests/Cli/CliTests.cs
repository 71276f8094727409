using Spectre.Console;
using Xbm.Cli;

namespace Xbm.Tests.Cli;

/// <summary>The CLI redirects the process-wide console, so these tests do not run in parallel with each other.</summary>
[CollectionDefinition("console", DisableParallelization = true)]
public sealed class ConsoleCollection;

[Collection("console")]
public sealed class CliTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-cli");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private (int Code, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var previous = AnsiConsole.Console;
        var previousOut = Console.Out;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Interactive = InteractionSupport.No });
        AnsiConsole.Profile.Width = 200;
        Console.SetOut(writer);
        try
        {
            return (CliApp.Run(args), writer.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
            Console.SetOut(previousOut);
        }
    }

    [Fact]
    public void TrainThenEvalEndToEnd()
    {
        string config = Path.Combine(_folder, "tiny.yaml");
        File.WriteAllText(config, TestPaths.TinyConfig(memory: true, iterations: 60));
        string run = Path.Combine(_folder, "run");

        var (code, output) = Run("train", "--config", config, "--out", run, "--set", "checkpoint.every=30", "--set", "logging.tensorboard=true");
        Assert.True(code == 0, output);
        Assert.Contains("Recall@1", output);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(run, "tensorboard"), "events.out.tfevents.*"));
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", "iter-00000060", "model.safetensors")));

        (code, output) = Run("eval", "--checkpoint", run);
        Assert.True(code == 0, output);
        Assert.Contains("MAP@R", output);

        // Re-running the finished run resumes at its end: nothing to train, same checkpoint.
        (code, output) = Run("train", "--config", config, "--out", run, "--set", "checkpoint.every=30", "--set", "logging.tensorboard=true");
        Assert.True(code == 0, output);
        Assert.Contains("resumed", output);
    }

    [Fact]
    public void AnUnknownKeyIsAnErrorNamingTheFileAndTheKey()
    {
        string config = Path.Combine(_folder, "bad.yaml");
        File.WriteAllText(config, TestPaths.TinyConfig(memory: true).Replace("weight: 1.0", "wieght: 1.0"));
        var (code, output) = Run("train", "--config", config, "--out", Path.Combine(_folder, "run"));
        Assert.Equal(2, code);
        Assert.Contains("bad.yaml", output);
        Assert.Contains("memory.wieght: unknown key", output);
        Assert.DoesNotContain("   at ", output); // a message, not a stack trace
    }

    [Theory]
    [InlineData("sampler.images_per_class=0", "sampler.images_per_class: 0 is out of range")]
    [InlineData("memory.size=-5", "memory.size")]
    [InlineData("memory.start_iteration=5000", "memory.start_iteration: 5000 is past the end of training")]
    [InlineData("optimizer.lr=fast", "optimizer.lr: 'fast' is not a finite number")]
    [InlineData("data.root=/nonexistent/fashion", "/nonexistent/fashion")]
    public void BadValuesAreErrorsNamingTheKey(string assignment, string expected)
    {
        string config = Path.Combine(_folder, "tiny.yaml");
        File.WriteAllText(config, TestPaths.TinyConfig(memory: true));
        var (code, output) = Run("train", "--config", config, "--out", Path.Combine(_folder, "run"), "--set", assignment);
        Assert.Equal(2, code);
        Assert.Contains(expected, output);
    }

    [Fact]
    public void AMissingConfigFileIsAClearError()
    {
        var (code, output) = Run("train", "--config", Path.Combine(_folder, "missing.yaml"));
        Assert.Equal(2, code);
        Assert.Contains("missing.yaml", output);
    }
}
