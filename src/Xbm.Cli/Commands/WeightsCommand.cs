using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Xbm.IO;
using Xbm.IO.PyTorch;
using Xbm.Models;

namespace Xbm.Cli.Commands;

/// <summary>
/// <c>xbm weights inspect FILE [--model resnet50]</c>: the tensors of a .safetensors file or a PyTorch .pth/.pt
/// state dict (name, dtype, shape, size), the total count and the metadata (for .pth: the torch.save format and
/// where the state dict was found); with <c>--model</c> also what loading it into that backbone would
/// do (loaded, missing, unexpected, ignored classifier keys, mismatched shapes). Exit code 1 when the file
/// would not load strictly into the model.
/// <c>xbm weights import resnet18-imagenet|--onnx FILE --out FILE.safetensors</c>: converts an ONNX ResNet-18/34
/// (e.g. the ImageNet ResNet-18 of the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18) to torchvision names.
/// </summary>
public sealed class WeightsCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var file = new Argument<string>("file") { Description = "A .safetensors file or a PyTorch .pth/.pt state dict (e.g. torchvision weights, see docs/weights.md)" };
        var model = new Option<string?>("--model") { Description = $"Also check loading into this backbone ({string.Join(", ", ModelFactory.BackboneNames)})" };
        model.AcceptOnlyFromAmong(ModelFactory.BackboneNames.ToArray());
        var inspect = new Command("inspect", "List the tensors and metadata of a .safetensors or .pth/.pt file; with --model, the load report against that backbone");
        inspect.Add(file);
        inspect.Add(model);
        inspect.SetAction(parse => Inspect(parse.GetValue(file)!, parse.GetValue(model), AnsiConsole.Console));

        var model2 = new Argument<string?>("model") { Description = $"{DnnImageFeaturizerPackage.ModelName}: the ONNX ResNet-18 of the NuGet package {DnnImageFeaturizerPackage.Id} {DnnImageFeaturizerPackage.Version}", Arity = ArgumentArity.ZeroOrOne };
        model2.AcceptOnlyFromAmong(DnnImageFeaturizerPackage.ModelName);
        var onnx = new Option<string?>("--onnx") { Description = "An ONNX ResNet-18/34 file (instead of a model name)" };
        var output = new Option<string>("--out") { Description = "The .safetensors file to write", Required = true };
        var import = new Command("import", "Convert an ONNX ResNet-18/34 to a .safetensors file with torchvision names (docs/weights.md)");
        import.Add(model2);
        import.Add(onnx);
        import.Add(output);
        import.SetAction(parse => Import(parse.GetValue(model2), parse.GetValue(onnx), parse.GetValue(output)!, AnsiConsole.Console));

        var weights = new Command("weights", "Inspect weight files (.safetensors, .pth/.pt) and import ONNX ResNets");
        weights.Add(inspect);
        weights.Add(import);
        return weights;
    }

    /// <summary>Prints the inspection to <paramref name="console"/>; returns the exit code.</summary>
    internal static int Inspect(string path, string? model, IAnsiConsole console)
    {
        var rows = new List<(string Name, string DType, long[] Shape, long Bytes)>();
        IReadOnlyDictionary<string, string> metadata;
        string? origin = null;
        if (PyTorchCheckpoint.IsPyTorchFile(path))
        {
            using var state = PyTorchCheckpoint.Load(path);
            foreach (var (name, t) in state.Tensors)
                rows.Add((name, DTypeName(t.dtype), t.shape, t.numel() * t.ElementSize));
            metadata = new Dictionary<string, string>();
            origin = $"PyTorch {state.Format} format, state dict from {state.Origin}";
        }
        else
        {
            var (entries, meta) = SafeTensors.Inspect(path);
            rows.AddRange(entries.Select(e => (e.Name, SafeTensors.DTypeName(e.DType), e.Shape, e.End - e.Begin)));
            metadata = meta;
        }
        long total = 0, withoutBuffers = 0, bytes = 0;
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("name").AddColumn("dtype").AddColumn("shape").AddColumn(new TableColumn("elements").RightAligned());
        foreach (var e in rows.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            long count = e.Shape.Aggregate(1L, (a, b) => a * b);
            total += count;
            bytes += e.Bytes;
            if (!IsBatchNormBuffer(e.Name))
                withoutBuffers += count;
            table.AddRow(Markup.Escape(e.Name), e.DType, Markup.Escape($"[{string.Join(", ", e.Shape)}]"), count.ToString("N0", CultureInfo.InvariantCulture));
        }
        console.Write(table);
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"[bold]{path}[/]: {rows.Count} tensors, {total:N0} elements ({withoutBuffers:N0} without BatchNorm running statistics and counters), {bytes:N0} bytes of data");
        if (origin is not null)
        {
            console.MarkupLineInterpolated($"{origin}");
        }
        else if (metadata.Count > 0)
        {
            var meta = new Table().Border(TableBorder.Simple).AddColumn("metadata").AddColumn("value");
            foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                meta.AddRow(Markup.Escape(k), Markup.Escape(v));
            console.Write(meta);
        }
        else
        {
            console.MarkupLine("no metadata");
        }
        return model is null ? 0 : Report(path, model, BlocksOf(metadata, model), console);
    }

    private static string DTypeName(TorchSharp.torch.ScalarType type)
    {
        try
        {
            return SafeTensors.DTypeName(type);
        }
        catch (NotSupportedException)
        {
            return type.ToString();
        }
    }

    /// <summary>Converts <paramref name="onnx"/> (or the package file of <paramref name="model"/>) to <paramref name="output"/>; returns the exit code.</summary>
    internal static int Import(string? model, string? onnx, string output, IAnsiConsole console)
    {
        if ((model is null) == (onnx is null))
            throw new ArgumentException($"give either the model name {DnnImageFeaturizerPackage.ModelName} or --onnx FILE (exactly one)");
        string source = onnx ?? DnnImageFeaturizerPackage.RequireResNet18File();
        OutputTarget.EnsureFile(output, "--out");
        var imported = OnnxResNetImporter.Import(source);
        imported.Save(output);
        string backbone = $"resnet{imported.Depth}";
        using (var check = ModelFactory.CreateBackbone(backbone, imported.Options()))
        {
            var report = WeightLoader.Check(check, output, new WeightLoadOptions { IgnoredPrefixes = check.ClassifierPrefixes });
            if (report.Problems(strict: true).Count > 0)
                throw new InvalidDataException($"{output}: written, but does not load into {backbone}: {report}");
        }
        string blocks = $"[{string.Join(", ", imported.Blocks)}]";
        console.MarkupLineInterpolated($"[green]wrote[/] {output}: {imported.Tensors.Count} tensors of {source}, {backbone} with blocks {blocks}, {imported.AsymmetricPadding.Count} layer(s) with CNTK 'same' padding (equal to torchvision's here), features = '{imported.FeatureOutput}' (input {imported.Input})");
        console.MarkupLineInterpolated($"use it with model.backbone: {backbone}, model.weights: {output}{(imported.CustomBlocks ? $", model.blocks: {blocks}" : "")}, model.pooling: avg");
        return 0;
    }

    /// <summary>The blocks per stage a file written by <c>weights import</c> records (metadata "blocks"), for a ResNet; else null.</summary>
    private static IReadOnlyList<int>? BlocksOf(IReadOnlyDictionary<string, string> metadata, string model)
    {
        if (!model.StartsWith("resnet", StringComparison.Ordinal) || !metadata.TryGetValue("blocks", out string? text))
            return null;
        var parts = text.Trim('[', ']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var blocks = new List<int>();
        foreach (string part in parts)
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int b) || b < 1)
                return null;
            blocks.Add(b);
        }
        return blocks.Count == 4 ? blocks : null;
    }

    private static int Report(string path, string model, IReadOnlyList<int>? blocks, IAnsiConsole console)
    {
        using var backbone = ModelFactory.CreateBackbone(model, new BackboneOptions { Blocks = blocks });
        if (blocks is not null)
            console.MarkupLineInterpolated($"(the file's metadata gives blocks per stage {"[" + string.Join(", ", blocks) + "]"}: checked against {model} with model.blocks set so)");
        var report = WeightLoader.Check(backbone, path, new WeightLoadOptions { IgnoredPrefixes = backbone.ClassifierPrefixes });
        console.WriteLine();
        console.MarkupLineInterpolated($"[bold]load report against {model}[/] ({backbone.state_dict().Count} model keys): {report.Summary()}");
        void List(string title, IEnumerable<string> keys, string colour)
        {
            foreach (string key in keys)
                console.MarkupLineInterpolated($"  [{colour}]{title}[/] {key}");
        }
        List("missing", report.Missing, "yellow");
        List("unexpected", report.Unexpected, "yellow");
        List("ignored", report.Ignored, "grey");
        List("mismatched", report.Mismatched.Select(m => m.ToString()), "red");
        List("converted", report.Converted, "grey");
        var problems = report.Problems(strict: true);
        if (problems.Count == 0)
        {
            console.MarkupLineInterpolated($"[green]loads into {model}[/] (strict)");
            return 0;
        }
        bool lenient = report.Problems(strict: false).Count == 0;
        console.MarkupLineInterpolated($"[red]does not load strictly into {model}[/] ({problems.Count} problem(s)){(lenient ? "; loads with model.strict: false" : "")}");
        return 1;
    }

    private static bool IsBatchNormBuffer(string name) =>
        name.EndsWith("running_mean", StringComparison.Ordinal) || name.EndsWith("running_var", StringComparison.Ordinal)
        || name.EndsWith("num_batches_tracked", StringComparison.Ordinal);
}
