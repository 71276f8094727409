using Spectre.Console;
using Xbm.Cli;

namespace Xbm.Tests.Cli;

/// <summary>
/// The CLI tests share trained runs and swap the global console to capture output, so they run as one
/// collection without parallelism.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection : ICollectionFixture<TinyRuns>
{
    public const string Name = "cli";
}

/// <summary>Runs `xbm` in process and captures what it prints.</summary>
internal static class CliRunner
{
    /// <summary>Runs `xbm` with <paramref name="args"/>; the output holds what it printed through Spectre and the plain console (out and error).</summary>
    public static (int Code, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var previous = AnsiConsole.Console;
        var (previousOut, previousError) = (Console.Out, Console.Error);
        Console.SetOut(writer);
        Console.SetError(writer);
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        AnsiConsole.Profile.Width = 1000; // no wrapping: messages keep whole paths
        try
        {
            int code = CliApp.Run(args);
            return (code, writer.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }

    /// <summary>Runs a command that must succeed; fails the test with its output otherwise.</summary>
    public static string Succeeds(params string[] args)
    {
        var (code, output) = Run(args);
        Assert.True(code == 0, $"xbm {string.Join(' ', args)} exited with {code}:\n{output}");
        return output;
    }

    /// <summary>Runs a command that must fail as a user error (exit code 2); returns its output.</summary>
    public static string FailsWithUserError(params string[] args)
    {
        var (code, output) = Run(args);
        Assert.True(code == 2, $"xbm {string.Join(' ', args)} exited with {code}, expected 2:\n{output}");
        Assert.Contains("error:", output);
        return output;
    }
}
