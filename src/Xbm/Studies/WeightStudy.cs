using System.Globalization;
using System.Text;
using Xbm.IO;
using Xbm.Losses;
using Xbm.Reporting;

namespace Xbm.Studies;

/// <summary>
/// The pair-weighting study of "Rethinking Deep Contrastive Learning with Embedding Memory": each
/// <see cref="WeightCurveArm"/> is trained without and with memory; the result is a table of Recall@1 per
/// weighting and memory (markdown and CSV) and one plot per weighting of its two curves with its Recall@1.
/// </summary>
public static class WeightStudy
{
    /// <summary>The suffix of the arm without memory.</summary>
    public const string WithoutMemory = "no memory";

    /// <summary>The suffix of the arm with memory.</summary>
    public const string WithMemory = "memory";

    /// <summary>
    /// Two study arms per weighting, "NAME, no memory" (memory=none) and "NAME, memory" (<paramref name="memoryOverrides"/>,
    /// then the weighting's loss).
    /// </summary>
    public static IReadOnlyList<StudyArm> Arms(IReadOnlyList<WeightCurveArm> weightings, IReadOnlyList<string> memoryOverrides)
    {
        ArgumentNullException.ThrowIfNull(weightings);
        ArgumentNullException.ThrowIfNull(memoryOverrides);
        var arms = new List<StudyArm>();
        foreach (var weighting in weightings)
        {
            arms.Add(new StudyArm(ArmName(weighting, WithoutMemory), new[] { "memory=none", weighting.LossOverride }));
            arms.Add(new StudyArm(ArmName(weighting, WithMemory), memoryOverrides.Append(weighting.LossOverride).ToList()));
        }
        return arms;
    }

    /// <summary>The study arm name of a weighting without or with memory.</summary>
    public static string ArmName(WeightCurveArm weighting, string memory)
    {
        ArgumentNullException.ThrowIfNull(weighting);
        return $"{weighting.Name}, {memory}";
    }

    /// <summary>
    /// The markdown table of one split's Recall@1 (mean ± std over seeds, in %): one row per weighting, columns
    /// without memory, with memory and their difference. Empty when no run has the split.
    /// </summary>
    public static string Table(ArmComparison comparison, IReadOnlyList<WeightCurveArm> weightings, string split)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        ArgumentNullException.ThrowIfNull(weightings);
        string metric = $"{split}/Recall@1";
        if (!comparison.Runs.Any(r => r.Metrics.ContainsKey(metric)))
            return "";
        var text = new StringBuilder($"{split} Recall@1 (%), mean ± std over seeds:\n\n");
        text.Append("| weighting | curves | no memory | memory | memory − no memory |\n|---|---|---|---|---|\n");
        foreach (var weighting in weightings)
        {
            var without = comparison.Summary(ArmName(weighting, WithoutMemory), metric);
            var with = comparison.Summary(ArmName(weighting, WithMemory), metric);
            text.Append($"| {weighting.Name} | {weighting.Description} | {Percent(without)} | {Percent(with)} | {Difference(with.Mean - without.Mean)} |\n");
        }
        return text.ToString();
    }

    /// <summary>
    /// Writes weights.md (the tables of every split present), weights.csv (weighting, memory, split, mean, std,
    /// seeds) and one curve plot per weighting, curve-SLUG.png, into <paramref name="folder"/>; returns the markdown.
    /// </summary>
    public static string Write(string folder, ArmComparison comparison, IReadOnlyList<WeightCurveArm> weightings)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        ArgumentNullException.ThrowIfNull(weightings);
        Directory.CreateDirectory(folder);
        var markdown = new StringBuilder("# Pair-weighting study: Recall@1 by weight curves, without and with memory\n\n");
        var csv = new StringBuilder("weighting,memory,split,recall_at_1_mean,recall_at_1_std,seeds\n");
        foreach (string split in new[] { "validation", "test" })
        {
            string table = Table(comparison, weightings, split);
            if (table.Length > 0)
                markdown.Append(table).Append('\n');
            foreach (var weighting in weightings)
                foreach (string memory in new[] { WithoutMemory, WithMemory })
                {
                    var (mean, std, count) = comparison.Summary(ArmName(weighting, memory), $"{split}/Recall@1");
                    if (count > 0)
                        csv.Append(CultureInfo.InvariantCulture, $"\"{weighting.Name}\",{memory},{split},{mean:R},{std:R},{count}\n");
                }
        }
        markdown.Append("Curves (weight of a lone pair against its similarity):\n\n");
        string titleSplit = comparison.Runs.Any(r => r.Metrics.ContainsKey("test/Recall@1")) ? "test" : "validation";
        string metric = $"{titleSplit}/Recall@1";
        foreach (var weighting in weightings)
        {
            string file = $"curve-{new StudyArm(weighting.Name, Array.Empty<string>()).Slug}.png";
            var without = comparison.Summary(ArmName(weighting, WithoutMemory), metric);
            var with = comparison.Summary(ArmName(weighting, WithMemory), metric);
            string title = $"{weighting.Name}: {titleSplit} R@1 {Short(without)} no memory, {Short(with)} memory";
            WeightCurvePlot.Save(Path.Combine(folder, file), title, weighting.Curve(PairSide.Positive), weighting.Curve(PairSide.Negative));
            markdown.Append($"- {file}: {weighting.Description}\n");
        }
        AtomicFile.WriteAllText(Path.Combine(folder, "weights.md"), markdown.ToString());
        AtomicFile.WriteAllText(Path.Combine(folder, "weights.csv"), csv.ToString());
        return markdown.ToString();
    }

    private static string Percent((double Mean, double Std, int Count) summary) =>
        summary.Count == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{100 * summary.Mean:F2} ± {100 * summary.Std:F2}");

    private static string Short((double Mean, double Std, int Count) summary) =>
        summary.Count == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{100 * summary.Mean:F1}%");

    private static string Difference(double value) =>
        double.IsFinite(value) ? string.Create(CultureInfo.InvariantCulture, $"{100 * value:+0.00;-0.00;0.00}") : "-";
}
