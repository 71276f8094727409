using System.CommandLine;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Xbm.Data;
using Xbm.Data.Images;
using Xbm.Evaluation;
using Xbm.Inference;
using Xbm.IO;
using Xbm.Reporting;
using static TorchSharp.torch;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm search`: embeds query images with a run's model (test-time preprocessing of the run's dataset) or an exported
/// ONNX model and prints their nearest items of an index written by `xbm embed`, found with the exact chunked k-NN;
/// through the C# inference API (<see cref="ImageEmbedder"/>, <see cref="EmbeddingIndex"/>).
/// </summary>
public sealed class SearchCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "a run folder (its latest checkpoint) or a checkpoint folder" };
        var onnx = new Option<FileInfo?>("--onnx") { Description = "or an ONNX model written by `xbm export` (run on ONNX Runtime)" };
        var index = new Option<FileInfo>("--index") { Description = "vectors .npy written by `xbm embed` (its labels and paths files next to it)", Required = true };
        var query = new Option<string?>("--query")
        {
            Description = "a query image (JPEG, PNG, ...; for Fashion-MNIST runs a 28×28 grey PNG), or an item of the index: row:N (its row, from 0) or a path listed in its paths.txt; an index item is left out of its own results",
        };
        var queries = new Option<FileInfo?>("--queries") { Description = "a text file with one query image path per line (relative paths are relative to the file)" };
        var k = new Option<int>("--k") { Description = "neighbours per query", DefaultValueFactory = _ => 10 };
        var output = new Option<FileInfo?>("--out") { Description = "write the results as CSV (query,rank,index,similarity,label,path) instead of tables" };
        var dataRoot = new Option<DirectoryInfo?>("--data-root") { Description = "dataset folder (overrides the stored data.root)" };
        var set = new Option<string[]>("--set") { Description = "override a stored key, repeatable", DefaultValueFactory = _ => Array.Empty<string>() };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto" };

        var command = new Command("search", "Find the nearest items of query images (or of an item of the index) in an embedded index")
            { checkpoint, onnx, index, query, queries, k, output, dataRoot, set, device };
        command.SetAction(parse =>
        {
            string? single = parse.GetValue(query);
            var list = parse.GetValue(queries);
            if ((single is null) == (list is null))
                throw new ArgumentException("give one query with --query IMAGE|row:N|INDEXED-PATH or a list of images with --queries LIST.txt");
            int neighbours = parse.GetValue(k);
            if (neighbours < 1)
                throw new ArgumentException($"--k must be at least 1, got {neighbours}");
            if ((parse.GetValue(checkpoint) is null) == (parse.GetValue(onnx) is null))
                throw new ArgumentException("give the model with --checkpoint RUN or --onnx MODEL.onnx (one of them)");
            string model = parse.GetValue(checkpoint)?.FullName ?? parse.GetValue(onnx)!.FullName;
            string modelOption = parse.GetValue(onnx) is null ? "--checkpoint" : "--onnx";
            if (parse.GetValue(onnx) is not null)
                foreach (var (option, name) in new (Option, string)[] { (dataRoot, "--data-root"), (set, "--set"), (device, "--device") })
                    if (parse.GetResult(option) is { Implicit: false })
                        throw new ArgumentException($"{name} applies to a run (--checkpoint); an ONNX model carries its preprocessing and runs on the CPU");
            var target = parse.GetValue(output);
            if (target is not null)
                OutputTarget.EnsureFile(target.FullName, "--out");

            var listed = list is null ? null : ReadList(list.FullName); // a bad list is named before the index is read
            var files = EmbeddingFiles.For(parse.GetValue(index)!.FullName);
            if (single is not null && !single.StartsWith("row:", StringComparison.Ordinal) && !File.Exists(single) && !File.Exists(files.VectorsPath))
                throw new FileNotFoundException($"query image not found: {Path.GetFullPath(single)}", single);
            using var indexed = EmbeddingIndex.Load(files.VectorsPath);
            if (indexed.Count == 0)
                throw new InvalidDataException($"{files.VectorsPath}: the index is empty");
            var labels = indexed.Labels;
            var itemPaths = indexed.Paths!;
            var info = files.ReadInfo();
            int? row = single is null ? null : IndexRow(single, itemPaths);
            var paths = row is not null ? new[] { itemPaths[row.Value] }
                : single is not null ? new[] { Path.GetFullPath(single) } : listed!;
            if (row is null)
                foreach (string path in paths.Where(p => !File.Exists(p)))
                    throw new FileNotFoundException($"query image not found: {path} (nor a path of {files.PathsPath}; use row:N for an item by row)", path);

            using var embedder = ImageEmbedder.Load(model, new EmbedderOptions
            {
                Device = parse.GetValue(device),
                Overrides = EmbedCommand.Overrides(parse.GetValue(set)!, parse.GetValue(dataRoot)),
            });
            if (info is null)
                AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {files.InfoPath} is missing (an index from an older `xbm embed`), so it cannot be checked that {embedder.Source} embedded this index");
            else
                CheckSameModel(info, files.InfoPath, embedder.Source, embedder.ModelHash, modelOption);
            if (indexed.Dimension != embedder.Dimension)
                throw new InvalidDataException($"{files.VectorsPath}: holds {indexed.Dimension}-dimensional vectors but {embedder.Source} embeds to {embedder.Dimension}; embed the index with this model");
            var classNames = info?.ClassNames ?? embedder.ClassNames;

            var embedded = row is { } r0 ? new EmbeddingMatrix(indexed.Vector(r0), 1, indexed.Dimension) : embedder.EmbedFiles(paths);
            long available = indexed.Count - (row is null ? 0 : 1);
            if (available == 0)
                throw new InvalidDataException($"{files.VectorsPath}: the index holds only the query item itself");
            int depth = (int)Math.Min(neighbours, available);
            // Per query: its neighbours best first, without the query item itself when it is an item of the index.
            var results = indexed.Search(embedded, depth, row is null ? null : [row]);
            string QueryName(int q) => row is { } r ? $"row:{r} ({paths[q]})" : paths[q];

            if (target is not null)
            {
                var csv = new StringBuilder("query,rank,index,similarity,label,path\n");
                for (int q = 0; q < paths.Length; q++)
                    for (int r = 0; r < results[q].Count; r++)
                    {
                        var (item, similarity) = (results[q][r].Index, results[q][r].Similarity);
                        csv.Append(Csv(paths[q])).Append(',').Append(r + 1).Append(',').Append(item).Append(',')
                            .Append(similarity.ToString("R", CultureInfo.InvariantCulture)).Append(',')
                            .Append(labels[item]).Append(',').Append(Csv(itemPaths[item])).Append('\n');
                    }
                AtomicFile.WriteAllText(target.FullName, csv.ToString());
                AnsiConsole.MarkupLineInterpolated($"{paths.Length} queries × {depth} neighbours written to {target.FullName}");
                return 0;
            }
            for (int q = 0; q < paths.Length; q++)
            {
                AnsiConsole.MarkupLineInterpolated($"query: {QueryName(q)}");
                var table = new Table().AddColumn(ConsoleTable.Number("rank"))
                    .AddColumn(ConsoleTable.Number("similarity")).AddColumn(new TableColumn("label").RightAligned()).AddColumn("path");
                for (int r = 0; r < results[q].Count; r++)
                {
                    var (item, similarity) = (results[q][r].Index, results[q][r].Similarity);
                    table.AddRow((r + 1).ToString(CultureInfo.InvariantCulture), similarity.ToString("F4", CultureInfo.InvariantCulture),
                        Markup.Escape(LabelNames.Format(classNames, labels[item])), Markup.Escape(itemPaths[item]));
                }
                AnsiConsole.Write(table);
            }
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The row of the index a --query names: "row:N", or a path listed in the index's paths.txt (as given or as a
    /// full path); null when it names neither (then it is an image file to embed).
    /// </summary>
    internal static int? IndexRow(string query, IReadOnlyList<string> itemPaths)
    {
        if (query.StartsWith("row:", StringComparison.Ordinal))
        {
            string number = query["row:".Length..];
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int row))
                throw new ArgumentException($"--query {query}: '{number}' is not a row number (row:N, N from 0)");
            if (row >= itemPaths.Count)
                throw new ArgumentException($"--query {query}: the index has {itemPaths.Count} rows (row:0 to row:{itemPaths.Count - 1})");
            return row;
        }
        for (int i = 0; i < itemPaths.Count; i++)
            if (itemPaths[i] == query)
                return i;
        string full;
        try
        {
            full = Path.GetFullPath(query);
        }
        catch (ArgumentException)
        {
            return null;
        }
        for (int i = 0; i < itemPaths.Count; i++)
            if (itemPaths[i] == full)
                return i;
        return null;
    }

    /// <summary>Refuses a checkpoint whose weights differ from the ones that embedded the index.</summary>
    internal static void CheckSameModel(IndexInfo info, string infoPath, string checkpoint, string hash, string option = "--checkpoint")
    {
        if (!string.Equals(hash, info.WeightsSha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{infoPath}: the index was embedded with {info.Checkpoint} (weights sha256 {Short(info.WeightsSha256)}), "
                + $"but {option} is {checkpoint} (weights sha256 {Short(hash)}); search with the model that embedded it, or embed the index again with this one");
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    /// <summary>Reads a query list with <see cref="ImageInputs.FromList"/> (one image path per line; # comments).</summary>
    internal static string[] ReadList(string listPath)
    {
        if (!File.Exists(listPath))
            throw new FileNotFoundException($"{listPath}: no such query list", listPath);
        return ImageInputs.FromList(listPath).Items.Select(i => i.Path).ToArray();
    }

    private static string Csv(string text) =>
        text.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
