using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Spectre.Console;
using Xbm.Cli.Commands;
using Xbm.Configuration;
using Xbm.Training;

namespace Xbm.Cli;

/// <summary>The `xbm` tool: finds every command and runs the one asked for, turning known errors into messages.</summary>
public static class CliApp
{
    /// <summary>Builds the root command with every <see cref="ICliCommand"/> of this assembly.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("xbm: deep metric learning with Cross-Batch Memory (XBM) on TorchSharp");
        foreach (var type in typeof(CliApp).Assembly.GetTypes()
                     .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
                     .OrderBy(t => t.Name, StringComparer.Ordinal))
            root.Add(((ICliCommand)Activator.CreateInstance(type)!).Build());
        return root;
    }

    /// <summary>Runs the tool; returns the process exit code (0 success, 1 failure, 2 bad input, 130/143 interrupted by SIGINT/SIGTERM).</summary>
    public static int Run(string[] args)
    {
        if (Console.IsOutputRedirected)
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160); // logs and CI: do not wrap tables at 80 columns
        using var interruption = Interruption.Install();
        try
        {
            var parse = BuildRoot().Parse(args);
            if (parse.Errors.Count > 0)
            {
                // System.CommandLine would print every error and the whole help text; one line says what is wrong and where help is.
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ParseErrors(parse)} (see: {CommandPath(parse)} --help)");
                return 2;
            }
            if (parse.CommandResult.Command is not RootCommand)
                Xbm.Runtime.NativeLibraryCheck.EnsureTorchLoads();
            // Our handler below turns user errors into one-line messages; bugs keep their stack trace.
            // Signals are ours too (Interruption): training stops at a step boundary after a checkpoint.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (TrainingInterruptedException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{e.Message}[/]");
            return Interruption.ExitCode;
        }
        catch (OperationCanceledException) when (Interruption.Token.IsCancellationRequested)
        {
            AnsiConsole.MarkupLine("[yellow]interrupted during an evaluation; trained runs keep their checkpoints: run the same command again to resume[/]");
            return Interruption.ExitCode;
        }
        catch (Exception e) when (UserError(e) is string message)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {message}");
            return 2;
        }
    }

    /// <summary>The parse errors on one line, each naming its option where System.CommandLine's text does not.</summary>
    public static string ParseErrors(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return string.Join("; ", parse.Errors.Select(error =>
        {
            string message = Regex.Replace(error.Message, @"\s*[\r\n]+\s*", " ").Trim().TrimEnd('.');
            var typed = Regex.Match(message, "^Cannot parse argument '(.*)' for option '(.*)' as expected type '(.*)'$");
            if (typed.Success)
                return $"{typed.Groups[2].Value}: '{typed.Groups[1].Value}' is not {Kind(typed.Groups[3].Value)}";
            string? option = error.SymbolResult switch
            {
                OptionResult o => o.Option.Name,
                ArgumentResult { Parent: OptionResult o } => o.Option.Name,
                _ => null,
            };
            return option is null || message.Contains(option, StringComparison.Ordinal) ? message : $"{option}: {message}";
        }).Distinct());
    }

    /// <summary>What a value of a .NET type is, in words ("an integer" for System.Int32).</summary>
    private static string Kind(string type) => Regex.Replace(type, @"^System\.Nullable`1\[(.*)\]$", "$1") switch
    {
        "System.Int32" or "System.Int64" => "an integer",
        "System.UInt32" or "System.UInt64" => "a non-negative integer",
        "System.Double" or "System.Single" => "a number",
        "System.Boolean" => "true or false",
        _ => "a valid value",
    };

    /// <summary>"xbm study arms": the command a parse result reached, for the pointer to its help.</summary>
    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? result = parse.CommandResult; result is CommandResult command; result = command.Parent)
            names.Insert(0, command.Command is RootCommand ? "xbm" : command.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>The message of an error caused by the user's input (config, files), or null for a bug.</summary>
    public static string? UserError(Exception e) => e switch
    {
        InvalidOperationException when e.Message.Contains("TorchSharp", StringComparison.Ordinal) => e.Message,
        ConfigException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException => e.Message,
        IOException io => io.Message,
        ArgumentException arg => arg.Message,
        _ => e.InnerException is { } inner ? UserError(inner) : null,
    };
}
