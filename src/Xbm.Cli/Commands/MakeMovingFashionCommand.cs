using System.CommandLine;
using Spectre.Console;
using Xbm.Data;
using Xbm.Data.Clips;

namespace Xbm.Cli.Commands;

/// <summary>
/// <c>xbm datasets make moving-fashion --out DIR</c>: the clip task where frame order decides the class
/// (<see cref="MovingFashion"/>). Built into <see cref="MakeGlyphsCommand"/>'s <c>make</c> command.
/// </summary>
public static class MakeMovingFashionCommand
{
    /// <summary>Builds the <c>moving-fashion</c> subcommand.</summary>
    public static Command Build()
    {
        var defaults = new MovingFashionOptions { Output = "." };
        var output = new Option<string>("--out") { Description = "The folder to write (written under a temporary name, then renamed)", Required = true };
        var root = new Option<string>("--root") { Description = "Folder of the four Fashion-MNIST IDX files", DefaultValueFactory = _ => FashionMnist.DefaultRoot };
        var train = new Option<int>("--train-per-class") { Description = "Training clips per class", DefaultValueFactory = _ => defaults.TrainPerClass };
        var test = new Option<int>("--test-per-class") { Description = "Test clips per class", DefaultValueFactory = _ => defaults.TestPerClass };
        var frames = new Option<int>("--frames") { Description = "Frames per clip", DefaultValueFactory = _ => defaults.Frames };
        var canvas = new Option<int>("--canvas") { Description = "Side of the square frames in pixels (the item is 28)", DefaultValueFactory = _ => defaults.Canvas };
        var items = new Option<bool>("--item-classes") { Description = "classes are direction × the item's class (40, e.g. left-Trouser) instead of the direction (4)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the items and their offsets", DefaultValueFactory = _ => 0UL };
        var command = new Command("moving-fashion", "Clips of a Fashion-MNIST item moving left, right, up or down: the direction is the class (frame order decides it)")
        {
            output, root, train, test, frames, canvas, items, seed,
        };
        command.SetAction(parse =>
        {
            var options = new MovingFashionOptions
            {
                Output = parse.GetValue(output)!,
                Root = parse.GetValue(root)!,
                TrainPerClass = parse.GetValue(train),
                TestPerClass = parse.GetValue(test),
                Frames = parse.GetValue(frames),
                Canvas = parse.GetValue(canvas),
                Seed = parse.GetValue(seed),
                ItemClasses = parse.GetValue(items),
            };
            var counts = MovingFashion.Make(options);
            AnsiConsole.MarkupLineInterpolated(
                $"[green]ok:[/] {string.Join(", ", counts.Select(c => $"{c.Key}: {c.Value} clips"))} of {options.Frames} frames ({options.Canvas}×{options.Canvas}), classes {(options.ItemClasses ? "direction × item class" : string.Join(", ", MovingFashion.Directions))}; wrote {Path.GetFullPath(options.Output)}");
            return 0;
        });
        return command;
    }
}
