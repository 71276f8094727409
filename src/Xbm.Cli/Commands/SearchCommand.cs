using System.CommandLine;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Xbm.Data;
using Xbm.Evaluation;
using Xbm.IO;
using Xbm.Reporting;
using static TorchSharp.torch;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm search`: embeds query images with a run's model (test-time preprocessing of the run's dataset) and prints
/// their nearest items of an index written by `xbm embed`, found with the exact chunked k-NN.
/// </summary>
public sealed class SearchCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var checkpoint = new Option<DirectoryInfo>("--checkpoint") { Description = "a run folder (its latest checkpoint) or a checkpoint folder", Required = true };
        var index = new Option<FileInfo>("--index") { Description = "vectors .npy written by `xbm embed` (its labels and paths files next to it)", Required = true };
        var query = new Option<FileInfo?>("--query") { Description = "a query image (JPEG, PNG, ...; for Fashion-MNIST runs a 28×28 grey PNG)" };
        var queries = new Option<FileInfo?>("--queries") { Description = "a text file with one query image path per line (relative paths are relative to the file)" };
        var k = new Option<int>("--k") { Description = "neighbours per query", DefaultValueFactory = _ => 10 };
        var output = new Option<FileInfo?>("--out") { Description = "write the results as CSV (query,rank,index,similarity,label,path) instead of tables" };
        var dataRoot = new Option<DirectoryInfo?>("--data-root") { Description = "dataset folder (overrides the stored data.root)" };
        var set = new Option<string[]>("--set") { Description = "override a stored key, repeatable", DefaultValueFactory = _ => Array.Empty<string>() };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto" };

        var command = new Command("search", "Find the nearest items of query images in an embedded index")
            { checkpoint, index, query, queries, k, output, dataRoot, set, device };
        command.SetAction(parse =>
        {
            var single = parse.GetValue(query);
            var list = parse.GetValue(queries);
            if ((single is null) == (list is null))
                throw new ArgumentException("give one query image with --query IMAGE or a list of them with --queries LIST.txt");
            int neighbours = parse.GetValue(k);
            if (neighbours < 1)
                throw new ArgumentException($"--k must be at least 1, got {neighbours}");
            var paths = single is not null ? new[] { single.FullName } : ReadList(list!.FullName);
            foreach (string path in paths.Where(p => !File.Exists(p)))
                throw new FileNotFoundException($"query image not found: {path}", path);

            var files = EmbeddingFiles.For(parse.GetValue(index)!.FullName);
            var (vectors, labels, itemPaths) = files.Read();
            using var ownedVectors = vectors;
            using var trained = TrainedRun.Open(parse.GetValue(checkpoint)!.FullName, EmbedCommand.Overrides(parse.GetValue(set)!, parse.GetValue(dataRoot)), parse.GetValue(device));
            var run = trained.Run;
            if (vectors.shape[1] != run.Model.Dimension)
                throw new InvalidDataException($"{files.VectorsPath}: holds {vectors.shape[1]}-dimensional vectors but {trained.Checkpoint} embeds to {run.Model.Dimension}; embed the index with this run");
            if (vectors.shape[0] == 0)
                throw new InvalidDataException($"{files.VectorsPath}: the index is empty");

            using var embedded = Embed(run.Model, run.Data.Test[0].Queries, paths, run.Options.EmbedBatchSize, run.Device);
            int depth = (int)Math.Min(neighbours, vectors.shape[0]);
            using var knn = Knn.Search(embedded, vectors, depth);
            var found = knn.Indices.data<long>().ToArray();
            var similarities = knn.Similarities.data<float>().ToArray();

            var target = parse.GetValue(output);
            if (target is not null)
            {
                var csv = new StringBuilder("query,rank,index,similarity,label,path\n");
                for (int q = 0; q < paths.Length; q++)
                    for (int r = 0; r < depth; r++)
                    {
                        long item = found[q * depth + r];
                        csv.Append(Csv(paths[q])).Append(',').Append(r + 1).Append(',').Append(item).Append(',')
                            .Append(similarities[q * depth + r].ToString("R", CultureInfo.InvariantCulture)).Append(',')
                            .Append(labels[item]).Append(',').Append(Csv(itemPaths[item])).Append('\n');
                    }
                AtomicFile.WriteAllText(target.FullName, csv.ToString());
                AnsiConsole.MarkupLineInterpolated($"{paths.Length} queries × {depth} neighbours written to {target.FullName}");
                return 0;
            }
            for (int q = 0; q < paths.Length; q++)
            {
                AnsiConsole.MarkupLineInterpolated($"query: {paths[q]}");
                var table = new Table().AddColumn(ConsoleTable.Number("rank"))
                    .AddColumn(ConsoleTable.Number("similarity")).AddColumn(new TableColumn("label").RightAligned()).AddColumn("path");
                for (int r = 0; r < depth; r++)
                {
                    long item = found[q * depth + r];
                    table.AddRow((r + 1).ToString(CultureInfo.InvariantCulture), similarities[q * depth + r].ToString("F4", CultureInfo.InvariantCulture),
                        Markup.Escape(LabelName(run.Data.Name, labels[item])), Markup.Escape(itemPaths[item]));
                }
                AnsiConsole.Write(table);
            }
            return 0;
        });
        return command;
    }

    /// <summary>Reads a query list: one image path per line; blank lines and lines starting with # are skipped.</summary>
    internal static string[] ReadList(string listPath)
    {
        if (!File.Exists(listPath))
            throw new FileNotFoundException($"{listPath}: no such query list", listPath);
        string folder = Path.GetDirectoryName(Path.GetFullPath(listPath))!;
        var paths = new List<string>();
        int line = 0;
        foreach (string raw in File.ReadLines(listPath))
        {
            line++;
            string text = raw.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
                continue;
            string path = Path.GetFullPath(Path.Combine(folder, text));
            if (!File.Exists(path))
                throw new FileNotFoundException($"{listPath}:{line}: query image not found: {path}", path);
            paths.Add(path);
        }
        if (paths.Count == 0)
            throw new InvalidDataException($"{listPath}: lists no query image");
        return paths.ToArray();
    }

    /// <summary>Embeds query image files in batches, preprocessed like <paramref name="like"/>'s images at test time.</summary>
    internal static Tensor Embed(Xbm.Models.EmbeddingModel model, IImageSet like, IReadOnlyList<string> paths, int batchSize, Device device)
    {
        model.eval();
        using var noGrad = no_grad();
        var result = empty(paths.Count, model.Dimension, dtype: ScalarType.Float32);
        for (int start = 0; start < paths.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int size = Math.Min(batchSize, paths.Count - start);
            var images = QueryImages.Load(paths.Skip(start).Take(size).ToList(), like);
            result.narrow(0, start, size).copy_(model.forward(images.to(device)).to(ScalarType.Float32).cpu());
        }
        return result;
    }

    private static string LabelName(string dataset, long label) =>
        dataset == FashionMnist.Name && label >= 0 && label < FashionMnist.ClassNames.Count
            ? $"{label} ({FashionMnist.ClassNames[(int)label]})"
            : label.ToString(CultureInfo.InvariantCulture);

    private static string Csv(string text) =>
        text.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
