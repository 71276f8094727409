using System.Globalization;
using Xbm.Configuration;
using Xbm.Data;
using Xbm.Evaluation;
using Xbm.IO;

namespace Xbm.Reporting;

/// <summary>What <see cref="RunReport.Write"/> produced.</summary>
/// <param name="HtmlPath">The report page.</param>
/// <param name="Images">The PNG files written next to it (full paths).</param>
/// <param name="Tables">Number of tables in the page.</param>
/// <param name="Notes">What was left out and why (e.g. a grid whose dataset is not available).</param>
public sealed record ReportResult(string HtmlPath, IReadOnlyList<string> Images, int Tables, IReadOnlyList<string> Notes);

/// <summary>
/// The report of one or more run folders: report.html (self-contained: inline style, images next to it or inlined)
/// with PNG plots (ScottPlot) of the training loss, every evaluated metric against the iteration, memory fill, age
/// and pair statistics, drift when recorded; tables of the runs, their final metrics, arms (runs that differ only
/// in the seed, as mean ± std), configuration differences; and for each run a grid of seeded test queries with
/// their nearest items (correct ones framed green, wrong ones red) from its latest checkpoint.
/// </summary>
public static class RunReport
{
    /// <summary>File name of the page.</summary>
    public const string PageName = "report.html";

    private static readonly string[] MemoryColumns = ["memory_count", "memory_oldest_age", "memory_positives", "memory_negatives"];

    /// <summary>Writes the report of <paramref name="runFolders"/> into <paramref name="outFolder"/>.</summary>
    public static ReportResult Write(IReadOnlyList<string> runFolders, string outFolder, ReportOptions? options = null)
    {
        options ??= new ReportOptions();
        if (runFolders.Count == 0)
            throw new ArgumentException("give at least one run folder", nameof(runFolders));
        var runs = runFolders.Select(RunRecord.Read).ToList();
        var labels = UniqueLabels(runs);
        string folder = Path.GetFullPath(outFolder);
        Directory.CreateDirectory(folder);
        var context = new Context(folder, options, new HtmlPage(options.Title), new List<string>(), new List<string>());
        var page = context.Page;

        page.Paragraph($"{runs.Count} run(s), generated {DateTime.Now.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} by xbm report. "
                       + "Metrics are percentages; final values are each run's last evaluation (never the best one: choosing on the test set is not a fair protocol).");
        RunsTable(page, runs, labels);
        FinalMetrics(page, runs, labels);
        Arms(page, runs, labels);
        ConfigDifferences(page, runs, labels);
        TrainingCurves(context, runs, labels);
        EvaluationCurves(context, runs, labels);
        ConfusionMatrices(context, runs, labels);
        MemoryCurves(context, runs, labels);
        DriftCurves(context, runs, labels);
        RetrievalGrids(context, runs, labels);
        if (context.Notes.Count > 0)
        {
            page.Heading(2, "Notes", "notes");
            foreach (string note in context.Notes)
                page.Paragraph(note, "note");
        }

        string html = Path.Combine(folder, PageName);
        AtomicFile.WriteAllText(html, page.Render());
        return new ReportResult(html, context.Images, page.TableCount, context.Notes);
    }

    private sealed record Context(string Folder, ReportOptions Options, HtmlPage Page, List<string> Images, List<string> Notes)
    {
        public void Log(string message) => Options.Log?.Invoke(message);

        /// <summary>Adds a PNG already written in the report folder to the page.</summary>
        public void AddImage(string file, string alt, string? caption)
        {
            string path = Path.Combine(Folder, file);
            Images.Add(path);
            string source = Options.InlineImages ? "data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(path)) : file;
            Page.Image(source, alt, caption);
        }

        /// <summary>Plots the series (skipping empty ones) unless all are empty; returns whether a plot was added.</summary>
        public bool Plot(string file, string title, string yLabel, IEnumerable<(string Name, IReadOnlyList<(double X, double Y)> Points)> series, string? caption = null)
        {
            var data = new Dictionary<string, IReadOnlyList<(double X, double Y)>>();
            foreach (var (name, points) in series)
                if (points.Count > 0)
                    data[name] = points;
            if (data.Count == 0)
                return false;
            if (data.Values.All(points => points.Count == 1))
            {
                // One point per series draws no line, on an axis a few units wide around it: bars say it plainly.
                var names = data.Keys.ToList();
                BarPlot.Save(Path.Combine(Folder, file), title, yLabel, names,
                    new Dictionary<string, IReadOnlyList<(double, double)>> { [yLabel] = names.Select(n => (data[n][0].Y, double.NaN)).ToList() });
                string at = string.Join(", ", data.Values.Select(p => p[0].X).Distinct().Select(x => x.ToString("F0", CultureInfo.InvariantCulture)));
                AddImage(file, title, $"{(caption is null ? "" : caption + "; ")}one value per run (iteration {at}), so bars instead of curves");
                return true;
            }
            CurvePlot.Save(Path.Combine(Folder, file), title, "iteration", yLabel, data);
            AddImage(file, title, caption);
            return true;
        }
    }

    private static IReadOnlyList<string> UniqueLabels(IReadOnlyList<RunRecord> runs)
    {
        var names = runs.Select(r => r.Name).ToList();
        for (int i = 0; i < runs.Count; i++)
            if (names.Count(n => n == runs[i].Name) > 1)
            {
                string parent = Path.GetFileName(Path.GetDirectoryName(runs[i].Folder) ?? "");
                names[i] = parent.Length > 0 ? $"{parent}/{runs[i].Name}" : runs[i].Name;
            }
        for (int i = 0; i < names.Count; i++)
            if (names.Take(i).Contains(names[i]))
                names[i] = $"{names[i]} ({i + 1})";
        return names;
    }

    /// <summary>A setting of a run's stored configuration, reading the section shorthand ("memory: none") too.</summary>
    private static string Setting(RunRecord run, string section, string key, string fallback)
    {
        if (run.Config.TryGetValue($"{section}.{key}", out var value))
            return value;
        if (key == ConfigLoader.ShorthandKey(section) && run.Config.TryGetValue(section, out var shorthand))
            return shorthand;
        return fallback;
    }

    private static void RunsTable(HtmlPage page, IReadOnlyList<RunRecord> runs, IReadOnlyList<string> labels)
    {
        page.Heading(2, "Runs", "runs");
        var rows = runs.Select((run, i) =>
        {
            string last = run.Metrics is { Rows.Count: > 0 } m ? m.Value(m.Rows[^1], "iteration").ToString("F0", CultureInfo.InvariantCulture) : "-";
            string checkpoint = run.LatestCheckpoint is { } c ? Path.GetFileName(c) : "none";
            return (IReadOnlyList<string>)new[]
            {
                labels[i], run.Folder, Setting(run, "data", "dataset", "fashion_mnist"), Setting(run, "model", "backbone", "small_cnn"),
                Setting(run, "model", "dimension", "-"), Setting(run, "loss", "name", "-"), Setting(run, "memory", "kind", "none"),
                run.Config.GetValueOrDefault("iterations", "-"), last, checkpoint,
            };
        });
        page.Table(["run", "folder", "dataset", "backbone", "dimension", "loss", "memory", "iterations", "last logged", "checkpoint"], rows,
            numeric: i => i is 4 or 7 or 8);
    }

    private static List<(string Split, string Metric)> MetricColumns(IEnumerable<RunRecord> runs)
    {
        var seen = new List<(string Split, string Metric)>();
        foreach (var run in runs)
            foreach (var e in run.Evaluations)
                if (!seen.Contains((e.Split, e.Metric)))
                    seen.Add((e.Split, e.Metric));
        // The test split first, then the others; metrics in the order the evaluator wrote them.
        return seen.OrderBy(c => c.Split == "test" ? 0 : 1).ThenBy(c => c.Split, StringComparer.Ordinal).ToList();
    }

    private static string Percent(double value) => double.IsFinite(value) ? (100 * value).ToString("F2", CultureInfo.InvariantCulture) : "-";

    private static void FinalMetrics(HtmlPage page, IReadOnlyList<RunRecord> runs, IReadOnlyList<string> labels)
    {
        page.Heading(2, "Final metrics", "final-metrics");
        var columns = MetricColumns(runs);
        if (columns.Count == 0)
        {
            page.Paragraph("No run has evaluations yet (evaluations.csv is missing or empty).", "note");
            return;
        }
        bool showSplit = columns.Select(c => c.Split).Distinct().Count() > 1;
        var header = new List<string> { "run", "iteration" };
        header.AddRange(columns.Select(c => showSplit ? $"{c.Split} {c.Metric} %" : $"{c.Metric} %"));
        var rows = runs.Select((run, i) =>
        {
            var final = run.FinalEvaluations();
            long iteration = final.Count == 0 ? 0 : final.Values.Max(v => v.Iteration);
            var row = new List<string> { labels[i], final.Count == 0 ? "-" : iteration.ToString(CultureInfo.InvariantCulture) };
            row.AddRange(columns.Select(c => final.TryGetValue(c, out var v) ? Percent(v.Value) : "-"));
            return (IReadOnlyList<string>)row;
        });
        page.Table(header, rows, caption: showSplit ? null : $"split: {columns[0].Split}", numeric: i => i > 0, id: "final-metrics-table");
    }

    private static void Arms(HtmlPage page, IReadOnlyList<RunRecord> runs, IReadOnlyList<string> labels)
    {
        // Runs whose configurations are equal apart from the seed are one arm.
        var groups = runs.Select((run, i) => (run, i))
            .GroupBy(x => string.Join("\n", x.run.Config.Where(p => p.Key != "seed").OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value)))
            .ToList();
        if (groups.Count == runs.Count || runs.Any(r => r.Config.Count == 0))
            return;
        var comparison = new ArmComparison();
        foreach (var group in groups)
        {
            var first = group.First();
            string arm = first.run.Config.TryGetValue("name", out var name) && groups.Count(g => g.First().run.Config.GetValueOrDefault("name") == name) == 1 ? name : labels[first.i];
            foreach (var (run, _) in group)
            {
                long seed = long.TryParse(run.Config.GetValueOrDefault("seed", "0"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long s) ? s : 0;
                var metrics = run.FinalEvaluations().ToDictionary(p => $"{p.Key.Split} {p.Key.Metric}", p => p.Value.Value);
                comparison.Add(new ArmRun(arm, seed, metrics, run.Folder));
            }
        }
        var columns = MetricColumns(runs);
        page.Heading(2, "Arms (runs that differ only in the seed)", "arms");
        var header = new List<string> { "arm", "seeds" };
        header.AddRange(columns.Select(c => $"{c.Split} {c.Metric} %"));
        var rows = comparison.Arms.Select(arm =>
        {
            var row = new List<string> { arm, comparison.Runs.Count(r => r.Arm == arm).ToString(CultureInfo.InvariantCulture) };
            row.AddRange(columns.Select(c =>
            {
                var (mean, std, n) = comparison.Summary(arm, $"{c.Split} {c.Metric}");
                return n == 0 ? "-" : n == 1 ? Percent(mean) : $"{Percent(mean)} ± {Percent(std)}";
            }));
            return (IReadOnlyList<string>)row;
        });
        page.Table(header, rows, caption: "mean ± sample standard deviation over seeds", numeric: i => i > 0, id: "arms-table");
    }

    private static void ConfigDifferences(HtmlPage page, IReadOnlyList<RunRecord> runs, IReadOnlyList<string> labels)
    {
        page.Heading(2, "Configuration", "configuration");
        if (runs.Count == 1)
        {
            var only = runs[0];
            if (only.Config.Count == 0)
                page.Paragraph("The run folder has no config.yaml.", "note");
            else
                page.Details("stored configuration (config.yaml)", File.ReadAllText(Path.Combine(only.Folder, "config.yaml")));
            return;
        }
        var keys = runs.SelectMany(r => r.Config.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var differing = keys.Where(k => runs.Select(r => r.Config.GetValueOrDefault(k, "—")).Distinct().Count() > 1).ToList();
        if (differing.Count == 0)
            page.Paragraph("The runs share every configuration key.");
        else
            page.Table(new[] { "key" }.Concat(labels).ToList(),
                differing.Select(k => (IReadOnlyList<string>)new[] { k }.Concat(runs.Select(r => r.Config.GetValueOrDefault(k, "—"))).ToList()),
                caption: "keys whose values differ between the runs (— = not set)", id: "config-differences");
        var shared = keys.Except(differing).ToList();
        if (shared.Count > 0)
            page.Details($"{shared.Count} shared settings", string.Join("\n", shared.Select(k => $"{k}: {runs[0].Config[k]}")));
    }

    private static void TrainingCurves(Context context, IReadOnlyList<RunRecord> runs, IReadOnlyList<string> labels)
    {
        context.Page.Heading(2, "Training", "training");
        context.Page.BeginGallery();
        bool any = context.Plot("loss.png", "Training loss", "loss",
            runs.Select((r, i) => (labels[i], Series(r, "loss"))), "total loss per logged iteration");
        var crossEntropy = runs.Select((r, i) => (labels[i], Series(r, "cross_entropy"))).Where(s => s.Item2.Count > 0).ToList();
        if (crossEntropy.Count > 0)
            context.Plot("cross_entropy.png", "Cross-entropy", "cross-entropy", crossEntropy, "the classifier's cross-entropy on the batch (task: classification)");
        if (runs.Any(r => r.HasMemory))
        {
            context.Plot("batch_loss.png", "Batch loss", "loss", runs.Select((r, i) => (labels[i], Series(r, "batch_loss"))), "loss of the queries against the mini-batch");
            context.Plot("memory_loss.png", "Memory loss", "loss", runs.Select((r, i) => (labels[i], Series(r, "memory_loss"))),
                "loss of the queries against the memory (from the memory's start iteration; scales with the memory size under sum reduction)");
            context.Plot("loss_per_pair.png", "Loss per contributing pair", "loss / pair",
                runs.SelectMany((r, i) => new[] { ($"{labels[i]} batch", Series(r, "batch_loss_per_pair")), ($"{labels[i]} memory", Series(r, "memory_loss_per_pair")) })
                    .Where(s => s.Item2.Any(p => double.IsFinite(p.Y))),
                "the summed losses divided by their contributing pairs: unlike the sums, these do not grow as the memory fills (sum_per_query reduction only)");
        }
        context.Page.EndGallery();
        if (!any)
            context.Page.Paragraph("No run has a step log (metrics.csv).", "note");
    }

    private static IReadOnlyList<(double X, double Y)> Series(RunRecord run, string column) =>
        run.Metrics?.Series("iteration", column) ?? (IReadOnlyList<(double, double)>)Array.Empty<(double, double)>();

    private static void EvaluationCurves(Context context, IReadOnlyList<RunRecord> runs, IReadOnlyList<string> labels)
    {
        var columns = MetricColumns(runs);
        if (columns.Count == 0)
            return;
        context.Page.Heading(2, "Evaluation", "evaluation");
        bool showSplit = columns.Select(c => c.Split).Distinct().Count() > 1;
        bool oneEach = runs.All(r => r.Evaluations.GroupBy(e => (e.Split, e.Metric)).All(g => g.Count() <= 1));
        if (oneEach)
        {
            // One evaluation per run: one chart, a group of bars per metric, instead of a one-point plot per metric.
            var metrics = columns.Select(c => c.Metric).Distinct().ToList();
            var bars = new Dictionary<string, IReadOnlyList<(double, double)>>();
            for (int i = 0; i < runs.Count; i++)
                foreach (string split in columns.Select(c => c.Split).Distinct())
                {
                    var values = metrics.Select(m => runs[i].Evaluations.Where(e => e.Split == split && e.Metric == m)
                        .Select(e => 100 * e.Value).DefaultIfEmpty(double.NaN).First()).ToList();
                    if (values.Any(double.IsFinite))
                        bars[showSplit ? $"{labels[i]} ({split})" : labels[i]] = values.Select(v => (v, double.NaN)).ToList();
                }
            context.Page.BeginGallery();
            BarPlot.Save(Path.Combine(context.Folder, "eval_final.png"), "Evaluation (one per run)", "%", metrics, bars);
            context.AddImage("eval_final.png", "Evaluation (one per run)", "each run was evaluated once: its metrics as bars (values in the final metrics table)");
            context.Page.EndGallery();
            return;
        }
        context.Page.BeginGallery();
        foreach (string metric in columns.Select(c => c.Metric).Distinct())
        {
            var series = new List<(string, IReadOnlyList<(double, double)>)>();
            for (int i = 0; i < runs.Count; i++)
                foreach (string split in columns.Where(c => c.Metric == metric).Select(c => c.Split))
                    series.Add((showSplit ? $"{labels[i]} ({split})" : labels[i],
                        runs[i].Evaluations.Where(e => e.Split == split && e.Metric == metric).OrderBy(e => e.Iteration)
                            .Select(e => ((double)e.Iteration, 100 * e.Value)).ToList()));
            context.Plot($"eval_{FileSafe(metric)}.png", $"{metric} against iteration", $"{metric} (%)", series);
        }
        context.Page.EndGallery();
    }

    /// <summary>A file-name-safe form: "Recall@1" → "recall_at_1", "small/MAP@R" → "small_map_at_r".</summary>
    private static string FileSafe(string name) =>
        string.Concat(name.Replace("@", "_at_", StringComparison.Ordinal).Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? char.ToLowerInvariant(c) : '_'));

    private static void MemoryCurves(Context context, IReadOnlyList<RunRecord> runs, IReadOnlyList<string> labels)
    {
        context.Page.Heading(2, "Memory", "memory");
        var withMemory = Enumerable.Range(0, runs.Count).Where(i => runs[i].HasMemory).ToList();
        if (withMemory.Count == 0)
        {
            context.Page.Paragraph("No run used a cross-batch memory (metrics.csv has no memory statistics).", "note");
            return;
        }
        context.Page.BeginGallery();
        context.Plot("memory_fill.png", "Memory fill", "rows filled", withMemory.Select(i => (labels[i], Series(runs[i], "memory_count"))));
        context.Plot("memory_age.png", "Age of the oldest memory row", "iterations", withMemory.Select(i => (labels[i], Series(runs[i], "memory_oldest_age"))),
            "how stale the oldest keys are");
        context.Plot("memory_positives.png", "Positive pairs from memory", "pairs with non-zero loss", withMemory.Select(i => (labels[i], Series(runs[i], "memory_positives"))));
        context.Plot("memory_negatives.png", "Negative pairs from memory", "pairs with non-zero loss", withMemory.Select(i => (labels[i], Series(runs[i], "memory_negatives"))));
        context.Plot("memory_similarity.png", "Mean similarity of memory pairs", "cosine similarity",
            withMemory.SelectMany(i => new[]
            {
                ($"{labels[i]} positives", Series(runs[i], "memory_mean_positive_similarity")),
                ($"{labels[i]} negatives", Series(runs[i], "memory_mean_negative_similarity")),
            }));
        context.Page.EndGallery();
    }

    /// <summary>The latest confusion matrix of each classification run (confusion_SPLIT.csv), as a heat map.</summary>
    private static void ConfusionMatrices(Context context, IReadOnlyList<RunRecord> runs, IReadOnlyList<string> labels)
    {
        var found = runs.Select((run, i) => (Label: labels[i], Files: Directory.GetFiles(run.Folder, "confusion_*.csv").Order(StringComparer.Ordinal).ToList()))
            .Where(r => r.Files.Count > 0).ToList();
        if (found.Count == 0)
            return; // retrieval runs have none
        context.Page.Heading(2, "Confusion matrices", "confusion");
        context.Page.BeginGallery();
        foreach (var (label, files) in found)
            foreach (string csv in files)
            {
                string split = Path.GetFileNameWithoutExtension(csv)["confusion_".Length..];
                ClassificationResult result;
                try
                {
                    result = ClassificationResult.FromCsv(File.ReadAllText(csv), csv);
                }
                catch (Exception e) when (e is InvalidDataException or FormatException)
                {
                    context.Notes.Add($"{csv}: not drawn ({e.Message})");
                    continue;
                }
                string file = $"confusion_{FileSafe(label)}_{FileSafe(split)}.png";
                ConfusionPlot.Save(Path.Combine(context.Folder, file), result, $"{label}, {split}");
                context.AddImage(file, $"confusion matrix of {label} on {split}",
                    $"the latest {split} evaluation of {label}: rows the true class, columns the predicted one; colour = share of the true class, numbers = counts");
            }
        context.Page.EndGallery();
    }

    private static void DriftCurves(Context context, IReadOnlyList<RunRecord> runs, IReadOnlyList<string> labels)
    {
        context.Page.Heading(2, "Feature drift", "drift");
        if (runs.All(r => r.Drift.Count == 0))
        {
            context.Page.Paragraph("Drift was not recorded for these runs (no drift.csv in the run folders).", "note");
            return;
        }
        context.Page.BeginGallery();
        for (int i = 0; i < runs.Count; i++)
        {
            if (runs[i].Drift.Count == 0)
                continue;
            string file = $"drift_{FileSafe(labels[i])}.png";
            DriftPlot.Save(Path.Combine(context.Folder, file), runs[i].Drift, $"Feature drift: {labels[i]}");
            context.AddImage(file, $"feature drift of {labels[i]}",
                "mean squared distance between a probe image's embeddings Δt iterations apart (log scale), one line per Δt");
        }
        context.Page.EndGallery();
    }

    private static void RetrievalGrids(Context context, IReadOnlyList<RunRecord> runs, IReadOnlyList<string> labels)
    {
        if (!context.Options.RetrievalGrids)
            return;
        context.Page.Heading(2, "Retrieval examples", "retrieval");
        context.Page.Paragraph($"Seeded test queries (blue frame) with their {context.Options.GridNeighbours} nearest items from the latest checkpoint, "
                               + "best first: green = same class as the query, red = another class. In same-set protocols the query itself is left out.");
        for (int i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            if (run.LatestCheckpoint is null)
            {
                context.Notes.Add($"{labels[i]}: no retrieval grid: the run has no checkpoint.");
                continue;
            }
            try
            {
                context.Log($"{labels[i]}: embedding the test protocol for the retrieval grid");
                using var trained = TrainedRun.Open(run.Folder, context.Options.Overrides, context.Options.Device);
                var data = trained.Run.Data;
                var set = data.Test[0];
                var examples = RetrievalExamples.Compute(trained.Run.Model, set, data.Name, trained.Run.Device, trained.Run.Options.EmbedBatchSize,
                    context.Options.GridQueries, context.Options.GridNeighbours, context.Options.Seed);
                if (examples.Count == 0)
                {
                    context.Notes.Add($"{labels[i]}: no retrieval grid: no query of protocol '{set.Name}' has a correct answer.");
                    continue;
                }
                int size = context.Options.ThumbnailSize;
                string file = $"retrieval_{FileSafe(labels[i])}.png";
                RetrievalGrid.Save(Path.Combine(context.Folder, file), examples,
                    q => Thumbnails.Render(set.Queries, q, size), r => Thumbnails.Render(set.Gallery ?? set.Queries, r, size), size);
                int hits = examples.Count(e => e.Neighbours.Count > 0 && e.Neighbours[0].Correct);
                context.Page.Heading(3, $"{labels[i]}: protocol '{set.Name}'");
                context.AddImage(file, $"retrieval examples of {labels[i]}",
                    $"{Path.GetFileName(trained.Checkpoint)}: {hits} of {examples.Count} queries have a correct nearest item");
                Func<long, string> name = data.LabelName;
                var header = new List<string> { "query", "label" };
                header.AddRange(Enumerable.Range(1, examples.Max(e => e.Neighbours.Count)).Select(r => $"#{r}"));
                context.Page.Table(header, examples.Select(e =>
                {
                    var row = new List<string> { Path.GetFileName(e.Path), name(e.Label) };
                    row.AddRange(e.Neighbours.Select(n => $"{(n.Correct ? "✓" : "✗")} {name(n.Label)} ({n.Similarity.ToString("F3", CultureInfo.InvariantCulture)})"));
                    return (IReadOnlyList<string>)row;
                }), caption: "✓ correct, ✗ wrong; similarity in brackets");
            }
            catch (Exception e) when (e is ConfigException or InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                context.Notes.Add($"{labels[i]}: no retrieval grid: {e.Message}");
            }
        }
    }
}
